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
from eqlib.sources import policeuk_reconstruct
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
    # every file a build needs has a download address, or is rebuilt from an upstream file that has one
    needed = fetch.needed_files(datacheck.load_manifest(repo_root))
    for rel, entry in needed.items():
        assert entry["url"] or fetch._upstream_of(rel, entry)["url"].startswith("https://"), rel


# --------------------------------------------------------------------------- police.uk Wales rebuilt

WALES = "policeuk-stop-search-wales-4forces-2019-2022"
FORCES = ("dyfed-powys", "gwent", "north-wales", "south-wales")  # the concatenation's order
REMOVAL, LINKED = policeuk_reconstruct.BOOLEAN_COLUMNS[1], policeuk_reconstruct.BOOLEAN_COLUMNS[0]


def _month(n: int) -> str:
    """Concatenation/<n>.csv holds the month n months after April 2019."""
    year, month = divmod(3 + n, 12)
    return f"{2019 + year}-{month + 1:02d}"


def _concatenate(force_files: list[bytes], *, float_booleans: tuple[str, ...] = (REMOVAL,)) -> bytes:
    """The inverse of recipe policeuk-concat-split: what pandas.concat(...).to_csv() wrote upstream.

    An unnamed first column holding each row's index in its force file (restarting at 0), one
    header, CRLF line endings, and the ``float_booleans`` columns written as 0.0/1.0.
    """
    to_float = {b"True": b"1.0", b"False": b"0.0", b"": b""}
    out: list[bytes] = []
    for k, data in enumerate(force_files):
        header, *rows = data.split(b"\r\n")[:-1]
        if k == 0:
            out.append(b"," + header)
        for i, row in enumerate(rows):
            head, linked, removal = row.rsplit(b",", 2)
            linked = to_float[linked] if LINKED in float_booleans else linked
            removal = to_float[removal] if REMOVAL in float_booleans else removal
            out.append(b"%d,%s,%s,%s" % (i, head, linked, removal))
    return b"\r\n".join(out) + b"\r\n"


def _shared_month(raw_dir, n: int) -> list[tuple[str, bytes]]:
    """(path, bytes) of the shared per-force files of month n, in the concatenation's order."""
    found = [
        (
            f"{WALES}/{_month(n)}-{force}-stop-and-search.csv",
            raw_dir / WALES / f"{_month(n)}-{force}-stop-and-search.csv",
        )
        for force in FORCES
    ]
    return [(rel, path.read_bytes()) for rel, path in found if path.is_file()]


@pytest.fixture
def wales(tmp_path, raw_dir, repo_root, monkeypatch, request):
    """A project whose manifest lists the Wales source, its upstream_files' urls on a local server.

    The server (127.0.0.1) serves synthetic concatenations Concatenation/<n>.csv built from the
    shared per-force files by :func:`_concatenate` (0.0/1.0 for Removal of more than just outer
    clothing, and in month 24 for Outcome linked to object of search too, as upstream). Parametrise
    indirectly with the months (default 0, 4 = no Gwent, 24). Yields (project root, served folder).
    """
    months = getattr(request, "param", (0, 4, 24))
    monkeypatch.delenv("EQLIB_DATA_MIRROR", raising=False)
    monkeypatch.setenv("EQLIB_CACHE", str(tmp_path / "cache"))
    served = tmp_path / "served"
    (served / "Concatenation").mkdir(parents=True)
    for n in months:
        parts = [data for _, data in _shared_month(raw_dir, n)]
        floats = (REMOVAL, LINKED) if n == 24 else (REMOVAL,)
        (served / "Concatenation" / f"{n}.csv").write_bytes(_concatenate(parts, float_booleans=floats))
    handler = functools.partial(_QuietHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    full = datacheck.load_manifest(repo_root)
    source = full["sources"][WALES]
    names = {f"{n}.csv" for n in months}
    source["upstream_files"] = [u for u in source["upstream_files"] if u["name"] in names]
    for upstream in source["upstream_files"]:
        assert upstream["url"].endswith(f"/Concatenation/{upstream['name']}")  # the real address's form
        upstream["url"] = f"{base}/Concatenation/{upstream['name']}"
    source["files"] = [f for f in source["files"] if f.get("derived_from") in names]
    root = tmp_path / "project"
    (root / "data").mkdir(parents=True)
    small = {**full, "sources": {WALES: source}}
    (root / "data" / "manifest.yml").write_text(yaml.safe_dump(small, sort_keys=False), encoding="utf-8")
    monkeypatch.setenv("EQLIB_ROOT", str(root))
    try:
        yield root, served
    finally:
        server.shutdown()
        server.server_close()


def test_the_manifest_says_how_every_wales_file_is_rebuilt(repo_root, raw_dir):
    source = datacheck.load_manifest(repo_root)["sources"][WALES]
    upstream = {u["name"]: u for u in source["upstream_files"]}
    assert sorted(upstream) == sorted(f"{n}.csv" for n in range(36))
    commit = "91a68cbac65b35c3fe358ff50c0530eb0a2eba03"  # SOURCE.txt's commit
    assert commit in (raw_dir / WALES / "SOURCE.txt").read_text(encoding="utf-8")
    for name, entry in upstream.items():
        assert (
            entry["url"]
            == f"https://raw.githubusercontent.com/jh2952/swpStop-Search/{commit}/Concatenation/{name}"
        )
        assert entry["recipe"] == policeuk_reconstruct.RECIPE and "sha256" in entry
    data = [f for f in source["files"] if f["kind"] == "data"]
    assert len(data) == 143 and all(f["url"] is None and "rebuilds" in f["no_url"] for f in data)
    for n in range(36):
        derived = sorted((f["segment"], f["path"]) for f in data if f["derived_from"] == f"{n}.csv")
        # one file per segment, in the concatenation's force order; August 2019 (n = 4) has no Gwent
        assert [seg for seg, _ in derived] == list(range(upstream[f"{n}.csv"]["segments"]))
        assert [path for _, path in derived] == [rel for rel, _ in _shared_month(raw_dir, n)]
        assert len(derived) == (3 if n == 4 else 4)


def test_wales_files_are_rebuilt_byte_for_byte_from_their_concatenations(wales, raw_dir, tmp_path):
    root, _ = wales
    target = tmp_path / "data-folder"
    report = fetch.fetch(target, sources=[WALES], progress=False)
    assert report.ok, report.summary()
    files = fetch.needed_files(datacheck.load_manifest(root), sources=[WALES])
    assert len(files) == 11  # months 0 and 24: 4 forces each; month 4: 3
    assert report.rebuilt == report.downloaded == sorted(files)
    for rel, entry in files.items():
        assert (target / rel).read_bytes() == (raw_dir / rel).read_bytes(), rel
        assert sha256_file(target / rel) == entry["sha256"]
    assert "11 rebuilt from their upstream files" in report.summary()
    assert sorted(p.name for p in (target / WALES).iterdir()) == sorted(r.split("/")[1] for r in files)
    # a second fetch finds them verified; a lost file is rebuilt alone
    (target / f"{WALES}/2019-08-north-wales-stop-and-search.csv").unlink()
    again = fetch.fetch(target, sources=[WALES], progress=False)
    assert again.rebuilt == [f"{WALES}/2019-08-north-wales-stop-and-search.csv"] and again.ok


def test_build_and_cli_rebuild_the_wales_files_into_the_data_folder(
    wales, raw_dir, tmp_path, monkeypatch, capsys
):
    """eqlib build's ensure_data (and eqlib data fetch) on a folder without them: rebuilt, verified."""
    target = tmp_path / "user-cache"
    monkeypatch.setenv("EQLIB_DATA_DIR", str(target))
    with pytest.raises(DataError, match="missing or wrong"):
        fetch.require_data()
    assert fetch.ensure_data(progress=False) == target.resolve()
    assert "fetched 11 data file(s)" in capsys.readouterr().out
    assert fetch.require_data() == target.resolve()
    cli_target = tmp_path / "cli-folder"
    assert cli.main(["data", "fetch", "--data-dir", str(cli_target), "--source", WALES, "--no-progress"]) == 0
    assert (
        "11 downloaded and verified (11 rebuilt from their upstream files), 0 failed"
        in capsys.readouterr().out
    )


@pytest.mark.parametrize("wales", [tuple(range(36))], indirect=True)
def test_all_143_wales_files_are_rebuilt_byte_for_byte(wales, raw_dir, tmp_path):
    root, _ = wales
    target = tmp_path / "data-folder"
    report = fetch.fetch(target, sources=[WALES], progress=False)
    assert report.ok, report.summary()
    files = fetch.needed_files(datacheck.load_manifest(root), sources=[WALES])
    assert len(report.rebuilt) == len(files) == 143
    assert all((target / rel).read_bytes() == (raw_dir / rel).read_bytes() for rel in files)


def test_a_corrupted_upstream_byte_is_refused_naming_the_rebuilt_file(wales, tmp_path):
    _, served = wales
    upstream = served / "Concatenation" / "4.csv"
    data = upstream.read_bytes()
    at = data.index(b"\r\n0,", data.index(b"\r\n0,") + 1)  # North Wales, August 2019's second force
    at = data.index(b",Male,", at)
    upstream.write_bytes(data[:at] + b",Mald," + data[at + 6 :])  # same size, one byte changed
    target = tmp_path / "data-folder"
    report = fetch.fetch(target, sources=[WALES], progress=False)
    ((path, why),) = report.failed
    assert path == f"{WALES}/2019-08-north-wales-stop-and-search.csv"
    assert "rebuilt file refused" in why and "4.csv" in why and "policeuk-concat-split" in why
    assert "is not the manifest's" in why and "sha256" in why
    assert not (target / path).exists()  # never used
    assert len(report.rebuilt) == 10  # the other files of the month are still right, and kept


def test_a_broken_concatenation_fails_each_of_its_files_with_the_line(wales, tmp_path):
    _, served = wales
    upstream = served / "Concatenation" / "0.csv"
    lines = upstream.read_bytes().split(b"\r\n")
    lines[5] = lines[5].replace(b"4,", b"9,", 1)  # the index no longer runs 0, 1, 2, ...
    upstream.write_bytes(b"\r\n".join(lines))
    report = fetch.fetch(tmp_path / "data-folder", sources=[WALES], progress=False)
    assert sorted(p for p, _ in report.failed) == [rel for rel, _ in _shared_month(paths.raw_dir(), 0)]
    why = report.failed[0][1]
    assert "could not be rebuilt from 0.csv" in why and "row 6" in why and "0, 1, 2" in why
    assert "found 9" in why


def test_an_upstream_with_a_known_sha256_is_checked_before_the_split(wales, tmp_path):
    root, served = wales
    manifest = datacheck.load_manifest(root)
    upstream = manifest["sources"][WALES]["upstream_files"]
    upstream[0]["sha256"] = sha256_file(served / "Concatenation" / "0.csv")
    upstream[1]["sha256"] = "0" * 64  # 4.csv: wrong
    datacheck.write_manifest(manifest, root)
    report = fetch.fetch(tmp_path / "data-folder", sources=[WALES], progress=False)
    failed = sorted(p for p, _ in report.failed)
    assert failed == [rel for rel, _ in _shared_month(paths.raw_dir(), 4)]
    assert all("downloaded file refused" in why and "0" * 64 in why for _, why in report.failed)
    assert len(report.rebuilt) == 8


def test_a_mirror_serves_the_rebuilt_files_as_they_are(wales, raw_dir, tmp_path):
    """--mirror: the final bytes from <mirror>/<path>, no upstream download (the concatenations are gone)."""
    _, served = wales
    for n in (0, 4, 24):
        (served / "Concatenation" / f"{n}.csv").unlink()
        for rel, data in _shared_month(raw_dir, n):
            (served / rel).parent.mkdir(exist_ok=True)
            (served / rel).write_bytes(data)
    base = datacheck.load_manifest()["sources"][WALES]["upstream_files"][0]["url"].rsplit("/", 2)[0]
    target = tmp_path / "data-folder"
    assert not fetch.fetch(target, sources=[WALES], progress=False).ok  # no upstream files now
    report = fetch.fetch(target, sources=[WALES], progress=False, mirror=base)
    assert report.ok and report.rebuilt == [] and len(report.downloaded) == 11


def test_split_concatenation_says_what_is_wrong(raw_dir):
    parts = [data for _, data in _shared_month(raw_dir, 4)]
    concatenation = _concatenate(parts)
    assert policeuk_reconstruct.split_concatenation(concatenation, segments=3) == parts
    assert (
        policeuk_reconstruct.split_concatenation(concatenation.replace(b"\r\n", b"\n"), segments=3) == parts
    )
    with pytest.raises(DataError, match=r"x\.csv: 3 force file\(s\) found.*expected 4"):
        policeuk_reconstruct.split_concatenation(concatenation, segments=4, name="x.csv")
    with pytest.raises(DataError, match="row 1: not the header"):
        policeuk_reconstruct.split_concatenation(concatenation[1:], segments=3)
    with pytest.raises(DataError, match="truncated"):
        policeuk_reconstruct.split_concatenation(concatenation[:-2], segments=3)
    bad = concatenation.replace(b",0.0\r\n", b",2.0\r\n", 1)
    with pytest.raises(DataError, match=r"row 2, column 'Removal of more than just outer clothing'.*2\.0"):
        policeuk_reconstruct.split_concatenation(bad, segments=3)
