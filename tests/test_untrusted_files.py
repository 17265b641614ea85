"""Untrusted source files: nothing outside the site's source folders is read or published.

A write-up, data file, template or asset that is a symbolic link leading out of data/,
content/, templates/ and static/ (directly, relatively, through a chain or a linked
folder), a broken or looping link, or a FIFO is an error naming the file in `check`,
`build` and `serve`; the previous output stays as it was. Links inside those folders work.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from jinja2 import Environment

from guidegen.devserver import Preview
from guidegen.errors import SiteError
from guidegen.inputs import inputs_digest
from guidegen.render import RootedLoader

from .conftest import run, typed
from .test_devserver import Server, fetch
from .test_incremental import site_files

OUTSIDE = "outside the site's data/, content/, templates/ and static/ folders"
HINT = "(links are followed only to files inside those folders)"
FIFO = "is a named pipe (FIFO), not a regular file (only regular files are read; remove it)"
SECRET = "tok_live_h1_should_never_be_published"
WRITE_UP = "content/guides/acme/betamab/step-therapy.md"


def outside(rel: str, target: Path | str) -> str:
    return f"error: {rel}: is a symbolic link to {target}, {OUTSIDE} {HINT}"


def link(path: Path, target: str | Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)


def fifo(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    os.mkfifo(path)


as_typed = typed  # `python build.py ARGS` from the site's folder, as a user types it


# Each case plants one bad file in the site (`site`, beside it `outside`, which holds
# secret.md and a folder of write-ups) and returns the error lines it must give.
Plant = Callable[[Path, Path], list[str]]


def passwd_asset(site: Path, out: Path) -> list[str]:
    link(site / "static/passwd.txt", "/etc/passwd")
    return [outside("static/passwd.txt", "/etc/passwd")]


def linked_write_up_folder(site: Path, out: Path) -> list[str]:
    link(site / "content/drugs/betamab", out / "drugs/betamab")
    return [outside("content/drugs/betamab", out / "drugs/betamab")]


def linked_etc_folder(site: Path, out: Path) -> list[str]:
    shutil.rmtree(site / "content/drugs")
    link(site / "content/drugs", "/etc")
    return [outside("content/drugs", "/etc")]


def relative_dotdot(site: Path, out: Path) -> list[str]:
    link(site / WRITE_UP, "../../../../../secret.md")
    return [outside(WRITE_UP, out / "secret.md")]


def chain_of_links(site: Path, out: Path) -> list[str]:
    link(site / "static/a.css", "b.css")
    link(site / "static/b.css", "c.css")
    link(site / "static/c.css", "../../secret.md")
    return [outside(f"static/{n}.css", out / "secret.md") for n in "abc"]


def data_file(site: Path, out: Path) -> list[str]:
    (site / "data/drugs.yaml").unlink()
    link(site / "data/drugs.yaml", out / "secret.md")
    return [outside("data/drugs.yaml", out / "secret.md")]


def extra_data_file(site: Path, out: Path) -> list[str]:
    link(site / "data/notes.yaml", "/etc/passwd")
    return [outside("data/notes.yaml", "/etc/passwd")]


def template_file(site: Path, out: Path) -> list[str]:
    link(site / "templates/partials/evil.html", "/etc/passwd")
    return [outside("templates/partials/evil.html", "/etc/passwd")]


def templates_folder(site: Path, out: Path) -> list[str]:
    link(site / "templates/more", "/etc")
    return [outside("templates/more", "/etc")]


def git_config_in_the_root(site: Path, out: Path) -> list[str]:
    (site / ".git").mkdir()
    (site / ".git/config").write_text(f"[http]\n\textraheader = {SECRET}\n")
    link(site / "static/config.txt", "../.git/config")
    return [outside("static/config.txt", site.resolve() / ".git/config")]


def broken_link(site: Path, out: Path) -> list[str]:
    link(site / "static/gone.css", "nowhere.css")
    return ["error: static/gone.css: is a broken symbolic link (remove it or fix its target)"]


def looping_link(site: Path, out: Path) -> list[str]:
    link(site / "static/self.css", "self.css")
    return ["error: static/self.css: is a loop of symbolic links (remove the link)"]


def folder_link_to_its_parent(site: Path, out: Path) -> list[str]:
    link(site / "content/reasons/again", "..")
    return [
        "error: content/reasons/again: is a symbolic link to a folder it is in (remove the link)"
    ]


def fifo_write_up(site: Path, out: Path) -> list[str]:
    fifo(site / WRITE_UP)
    return [f"error: {WRITE_UP}: {FIFO}"]


def fifo_data(site: Path, out: Path) -> list[str]:
    fifo(site / "data/payers.yaml")
    return [f"error: data/payers.yaml: {FIFO}"]


def fifo_asset(site: Path, out: Path) -> list[str]:
    fifo(site / "static/site.css.map")
    return [f"error: static/site.css.map: {FIFO}"]


def fifo_template(site: Path, out: Path) -> list[str]:
    fifo(site / "templates/extra.html")
    return [f"error: templates/extra.html: {FIFO}"]


CASES: dict[str, Plant] = {
    f.__name__: f
    for f in (
        passwd_asset,
        linked_write_up_folder,
        linked_etc_folder,
        relative_dotdot,
        chain_of_links,
        data_file,
        extra_data_file,
        template_file,
        templates_folder,
        git_config_in_the_root,
        broken_link,
        looping_link,
        folder_link_to_its_parent,
        fifo_write_up,
        fifo_data,
        fifo_asset,
        fifo_template,
    )
}


@pytest.fixture
def beside(tmp_path: Path) -> Path:
    """tmp_path, which holds the site (site/) and, outside its root, a secret and a folder
    of well-formed write-ups: refused only for where they are."""
    (tmp_path / "secret.md").write_text(f"## Keys\n\n{SECRET}\n", encoding="utf-8")
    folder = tmp_path / "drugs/betamab"
    folder.mkdir(parents=True)
    (folder / "step-therapy.md").write_text(f"## Why\n\n{SECRET} for {{{{ drug.name }}}}.\n")
    return tmp_path


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error: ")]


@pytest.mark.parametrize("command", ["check", "build"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_refused_file_is_an_error_naming_it(
    mini_site: Path, beside: Path, case: str, command: str
) -> None:
    expected = CASES[case](mini_site, beside)
    result = run(mini_site, command)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for line in expected:
        assert line in error_lines(result.output)
    assert SECRET not in result.output
    assert not (mini_site / "output").exists()


@pytest.mark.parametrize(
    "case", ["relative_dotdot", "chain_of_links", "fifo_write_up", "fifo_asset"]
)
def test_build_as_typed_refuses_and_keeps_the_previous_output(
    mini_site: Path, beside: Path, case: str
) -> None:
    first = as_typed(mini_site, "build", "--quiet")
    assert first.returncode == 0, first.stderr
    before = site_files(mini_site / "output")
    expected = CASES[case](mini_site, beside)
    result = as_typed(mini_site, "build")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert error_lines(result.stderr) == expected
    assert site_files(mini_site / "output") == before
    assert not any(
        SECRET in p.read_text(errors="replace")
        for p in (mini_site / "output").rglob("*.*")
        if p.is_file()
    )


def test_proc_self_environ_as_a_write_up_leaks_nothing(mini_site: Path) -> None:
    link(mini_site / WRITE_UP, "/proc/self/environ")
    for command in ("check", "build"):
        result = as_typed(mini_site, command, env={"DEPLOY_TOKEN": SECRET})
        assert result.returncode == 1
        assert re.fullmatch(
            rf"error: {WRITE_UP}: is a symbolic link to /proc/\d+/environ, {re.escape(OUTSIDE)} "
            rf"{re.escape(HINT)}\n1 error; nothing was written.\n",
            result.stderr,
        ), result.stderr
        assert SECRET not in result.stdout + result.stderr
    assert not (mini_site / "output").exists()


def test_links_inside_the_source_folders_are_followed(mini_site: Path) -> None:
    link(mini_site / "content/drugs/betamab/off-label.md", "../alphamab/off-label.md")
    link(mini_site / "content/drugs/gammatide", "betamab")  # a linked folder, then a link
    link(mini_site / "static/brand.svg", "favicon.svg")
    result = run(mini_site, "build")
    assert result.exit_code == 0, result.output
    for drug in ("betamab", "gammatide"):
        guide = (mini_site / f"output/acme/{drug}/off-label/index.html").read_text()
        assert "Alphamab off-label at" in guide
    assets = [p.name for p in (mini_site / "output/assets").iterdir()]
    assert any(name.startswith("brand.") and name.endswith(".svg") for name in assets)
    assert "OK: 3 payers, 4 drugs, 3 denial reasons, 7 write-ups" in run(mini_site, "check").output


def test_hidden_files_in_content_are_never_looked_at(mini_site: Path) -> None:
    """An editor's lock file (emacs makes `.#name` a link to nowhere) is not a write-up."""
    link(mini_site / "content/reasons/.#off-label.md", "editor@host.1234:1700000000")
    assert run(mini_site, "check").exit_code == 0


def test_the_inputs_digest_names_refused_files_but_never_reads_them(mini_site: Path) -> None:
    fifo(mini_site / "static/pipe.css")
    digests: list[str] = []
    thread = threading.Thread(
        target=lambda: digests.append(inputs_digest(mini_site, "")), daemon=True
    )
    thread.start()
    thread.join(timeout=20)
    assert digests, "the digest read the FIFO and hung"
    (mini_site / "static/pipe.css").unlink()
    link(mini_site / "static/pipe.css", "/etc/passwd")
    assert inputs_digest(mini_site, "") == digests[0]  # named, not read: same digest


def test_the_preview_shows_the_refused_file(mini_site: Path, beside: Path) -> None:
    expected = chain_of_links(mini_site, beside)
    preview = Preview(mini_site)
    assert preview.site is None
    assert [f"error: {e.render()}" for e in preview.errors] == expected


def test_serve_answers_with_the_error_instead_of_the_file(mini_site: Path) -> None:
    link(mini_site / "static/passwd.txt", "/etc/passwd")
    server = Server(mini_site)
    try:
        status, body = fetch(server.port, "/")
        assert status == 500
        assert b"static/passwd.txt</code>: is a symbolic link to /etc/passwd" in body
        assert b"root:x:0:0" not in body
    finally:
        server.stop()


def test_new_refuses_a_folder_linked_out_of_the_site(mini_site: Path, beside: Path) -> None:
    target = beside / "elsewhere"
    target.mkdir()
    link(mini_site / "content/guides/bluebird", target)
    result = run(mini_site, "new", "bluebird", "alphamab", "step-therapy")
    assert result.exit_code == 1
    assert result.output == outside("content/guides/bluebird", target) + "\n"
    assert list(target.iterdir()) == []


def test_the_template_loader_refuses_an_include_the_walk_would_not_list(mini_site: Path) -> None:
    link(mini_site / "templates/partials/evil.html", "/etc/passwd")
    fifo(mini_site / "templates/partials/pipe.html")
    (mini_site / "templates/page.html").write_text('{% include "partials/evil.html" %}')
    (mini_site / "templates/other.html").write_text('{% extends "partials/pipe.html" %}')
    loader = RootedLoader(mini_site)
    names = loader.list_templates()
    assert "page.html" in names and "partials/evil.html" not in names
    env = Environment(loader=loader)
    with pytest.raises(SiteError) as refused:
        env.get_template("page.html").render()
    assert f"error: {refused.value.render()}" == outside(
        "templates/partials/evil.html", "/etc/passwd"
    )
    with pytest.raises(SiteError, match="templates/partials/pipe.html: is a named pipe"):
        env.get_template("other.html").render()
