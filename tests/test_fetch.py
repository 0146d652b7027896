"""eqlib data fetch: downloads verified against data/manifest.yml, from a local HTTP server.

The server (127.0.0.1, a thread) serves a copy of the data folder (``EQLIB_DATA_DIR``, e.g.
``../shared/data``), so the download, checksum and refusal paths run with no internet.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading

import pytest
import yaml

from eqlib import cli, datacheck, fetch, paths
from eqlib.errors import DataError
from eqlib.store import sha256_file

SOURCES = ("census2021-ts021-ltla", "lookup-lad21-csp21-pfa21", "eff-stop-search-2022-23-by-area")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output clean
        pass


@pytest.fixture
def served(tmp_path, raw_dir):
    """A folder served over HTTP on 127.0.0.1: yields (folder, base url)."""
    folder = tmp_path / "served"
    for source in SOURCES:
        shutil.copytree(raw_dir / source, folder / source)
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def project(tmp_path, repo_root, monkeypatch, served):
    """A project whose manifest lists the served sources, each file's url on the local server."""
    _, base = served
    monkeypatch.delenv("EQLIB_DATA_MIRROR", raising=False)
    monkeypatch.setenv("EQLIB_CACHE", str(tmp_path / "cache"))
    full = datacheck.load_manifest(repo_root)
    small = {**full, "sources": {k: v for k, v in full["sources"].items() if k in SOURCES}}
    for source in small["sources"].values():
        for entry in source["files"]:
            entry["url"] = f"{base}/{entry['path']}"
            entry.pop("transform", None)  # the server holds the final bytes
    root = tmp_path / "project"
    (root / "data").mkdir(parents=True)
    (root / "data" / "manifest.yml").write_text(yaml.safe_dump(small, sort_keys=False), encoding="utf-8")
    monkeypatch.setenv("EQLIB_ROOT", str(root))
    return root


def _every(root):
    return fetch.needed_files(datacheck.load_manifest(root), every=True)


def test_fetch_downloads_and_verifies_every_file(project, tmp_path):
    target = tmp_path / "data-folder"
    report = fetch.fetch(target, every=True, progress=False)
    assert report.ok, report.summary()
    files = _every(project)
    assert sorted(report.downloaded) == sorted(files) and report.present == []
    for rel, entry in files.items():
        assert sha256_file(target / rel) == entry["sha256"]
    # a second fetch downloads nothing: the folder already holds the verified files
    again = fetch.fetch(target, every=True, progress=False)
    assert again.downloaded == [] and sorted(again.present) == sorted(files)


def test_a_folder_with_the_verified_files_is_used_as_it_is(project, raw_dir, monkeypatch):
    """EQLIB_DATA_DIR pointing at a shared copy: nothing is downloaded and nothing written."""
    before = {p: p.stat().st_mtime_ns for s in SOURCES for p in (raw_dir / s).iterdir()}
    monkeypatch.setenv("EQLIB_DATA_DIR", str(raw_dir))
    report = fetch.fetch(progress=False, every=True)
    assert report.ok and report.downloaded == [] and len(report.present) == len(_every(project))
    assert {p: p.stat().st_mtime_ns for p in before} == before


def test_a_corrupted_download_is_refused_with_a_clear_message(project, served, tmp_path):
    folder, _ = served
    bad = folder / "lookup-lad21-csp21-pfa21" / "la_pfa_lookup.csv"
    bad.write_bytes(bad.read_bytes().replace(b"Cardiff", b"Cardif1", 1))  # same size, other bytes
    target = tmp_path / "data-folder"
    report = fetch.fetch(target, every=True, progress=False)
    assert not report.ok
    ((path, why),) = report.failed
    assert path == "lookup-lad21-csp21-pfa21/la_pfa_lookup.csv"
    assert "downloaded file refused" in why and "checksum" in why and "sha256" in why
    assert not (target / path).exists()  # a refused file is not kept
    assert len(report.downloaded) == len(_every(project)) - 1


def test_a_wrong_file_in_the_folder_is_replaced_by_a_verified_download(project, served, tmp_path):
    target = tmp_path / "data-folder"
    assert fetch.fetch(target, progress=False).ok
    victim = target / "census2021-ts021-ltla" / "2021_census_la.csv"
    victim.write_bytes(victim.read_bytes()[:-10])
    report = fetch.fetch(target, progress=False)
    assert report.downloaded == ["census2021-ts021-ltla/2021_census_la.csv"] and report.ok
    assert fetch.check_folder(target, fetch.needed_files(datacheck.load_manifest())) == {}


def test_crlf_transform_reproduces_the_shipped_bytes(project, served, tmp_path):
    """An upstream with CRLF line endings: converted, then checked against the manifest's sha256."""
    folder, base = served
    rel = "eff-stop-search-2022-23-by-area/ethnicity-stop-search-by-area.csv"
    crlf = folder / "crlf" / "by-area.csv"
    crlf.parent.mkdir()
    crlf.write_bytes((folder / rel).read_bytes().replace(b"\n", b"\r\n"))
    manifest = datacheck.load_manifest()
    entry = next(
        e for e in manifest["sources"]["eff-stop-search-2022-23-by-area"]["files"] if e["path"] == rel
    )
    entry["url"], entry["transform"] = f"{base}/crlf/by-area.csv", "crlf-to-lf"
    datacheck.write_manifest(manifest)
    target = tmp_path / "data-folder"
    report = fetch.fetch(target, sources=["eff-stop-search-2022-23-by-area"], every=True, progress=False)
    assert report.ok, report.summary()
    assert (target / rel).read_bytes() == (folder / rel).read_bytes()
    # without the transform the same download is refused
    del entry["transform"]
    datacheck.write_manifest(manifest)
    (target / rel).unlink()
    report = fetch.fetch(target, sources=["eff-stop-search-2022-23-by-area"], every=True, progress=False)
    assert [p for p, _ in report.failed] == [rel]


def test_no_url_and_mirror(project, served, tmp_path):
    """A file with no address fails with the reason; a mirror supplies it."""
    _, base = served
    manifest = datacheck.load_manifest()
    entry = manifest["sources"]["census2021-ts021-ltla"]["files"][0]
    entry["url"], entry["no_url"] = None, "a reconstruction; no address serves these bytes"
    datacheck.write_manifest(manifest)
    target = tmp_path / "data-folder"
    report = fetch.fetch(target, sources=["census2021-ts021-ltla"], every=True, progress=False)
    ((path, why),) = report.failed
    assert path == entry["path"] and "no download address" in why and "no address serves" in why
    assert "EQLIB_DATA_DIR" in why
    assert fetch.fetch(target, sources=["census2021-ts021-ltla"], every=True, progress=False, mirror=base).ok


def test_ensure_data_fetches_into_the_data_folder_and_names_what_it_cannot(
    project, served, tmp_path, monkeypatch
):
    target = tmp_path / "cache-data"
    monkeypatch.setenv("EQLIB_DATA_DIR", str(target))
    assert paths.raw_dir() == target.resolve()
    with pytest.raises(DataError, match="missing or wrong"):
        fetch.require_data()
    assert fetch.ensure_data(progress=False) == target.resolve()
    assert fetch.require_data() == target.resolve()
    folder, _ = served
    (target / "lookup-lad21-csp21-pfa21" / "la_pfa_lookup.csv").unlink()
    (folder / "lookup-lad21-csp21-pfa21" / "la_pfa_lookup.csv").unlink()  # the server lost it too
    with pytest.raises(
        DataError, match=r"could not be fetched:\n  lookup-lad21-csp21-pfa21/la_pfa_lookup.csv"
    ):
        fetch.ensure_data(progress=False)


def test_cli_data_fetch(project, tmp_path, capsys):
    target = tmp_path / "cli-folder"
    assert cli.main(["data", "fetch", "--data-dir", str(target), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "downloaded and verified" in out and f"EQLIB_DATA_DIR={target.resolve()}" in out
    assert cli.main(["data", "fetch", "--data-dir", str(target), "--source", "nope"]) == 2


def test_raw_dir_order(tmp_path, monkeypatch):
    """EQLIB_DATA_DIR, else the project's data/raw, else the user cache; an explicit root's data/raw first."""
    root = tmp_path / "p"
    (root / "data").mkdir(parents=True)
    (root / "data" / "manifest.yml").write_text("sources: {}\n")
    (root / "pyproject.toml").write_text("")
    monkeypatch.setenv("EQLIB_ROOT", str(root))
    monkeypatch.delenv("EQLIB_DATA_DIR", raising=False)
    assert paths.raw_dir() == paths.user_data_cache()
    assert "eqlib" in str(paths.user_data_cache())
    (root / "data" / "raw").mkdir()
    assert paths.raw_dir() == root / "data" / "raw"
    monkeypatch.setenv("EQLIB_DATA_DIR", str(tmp_path / "elsewhere"))
    assert paths.raw_dir() == (tmp_path / "elsewhere").resolve()
    assert paths.raw_dir(root) == root / "data" / "raw"


def test_every_manifest_file_has_a_url_or_says_why_not(repo_root):
    files = datacheck.manifest_files(datacheck.load_manifest(repo_root))
    for rel, entry in files.items():
        assert "url" in entry, rel
        if entry["url"]:
            assert entry["url"].startswith("https://"), rel
        else:
            assert entry.get("no_url", "").strip(), rel
    for folder, source in datacheck.load_manifest(repo_root)["sources"].items():
        assert source.get("upstream", "").strip(), folder  # identical, derivative or changed: said
    # the build needs files whose bytes no address serves only where the manifest says so
    needed = fetch.needed_files(datacheck.load_manifest(repo_root))
    assert all(e["url"] or "no address" in e["no_url"] for e in needed.values())
