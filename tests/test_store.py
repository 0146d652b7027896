"""The parquet cache: warm equals cold, a changed file rebuilds only its dataset, atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from eqlib import store
from eqlib.sources import REGISTRY, Dataset, load_uncached

C21 = "population_census2021"
C11 = "population_census2011"
C21_FOLDERS = ("census2021-ts021-ltla", "lookup-lad21-csp21-pfa21")
C11_FOLDERS = ("census2011-qs201ew-la-nomis", "census2011-ethnicity-la-pfa")


def _status(results) -> dict[str, str]:
    return {r.dataset: r.status for r in results}


def test_warm_load_equals_cold_load_and_uncached(copy_raw):
    root = copy_raw(*C21_FOLDERS)
    cold = store.load(C21, root=root)
    warm = store.load(C21, root=root)
    pd.testing.assert_frame_equal(cold, warm)
    pd.testing.assert_frame_equal(warm, load_uncached(C21, root / "data" / "raw"))
    assert list((root / ".eqlib-cache" / C21).glob("*.parquet"))


def test_second_build_is_cached_and_does_not_rehash(copy_raw, monkeypatch):
    root = copy_raw(*C21_FOLDERS)
    assert _status(store.build_all(root, dataset_ids=[C21])) == {C21: "built"}

    def no_hashing(path):
        raise AssertionError(f"re-hashed {path} although its size and mtime did not change")

    monkeypatch.setattr(store, "sha256_file", no_hashing)
    assert _status(store.build_all(root, dataset_ids=[C21])) == {C21: "cached"}


def test_changed_file_rebuilds_only_its_own_dataset(copy_raw):
    root = copy_raw(*C21_FOLDERS, *C11_FOLDERS)
    assert _status(store.build_all(root, dataset_ids=[C21, C11])) == {C21: "built", C11: "built"}
    assert _status(store.build_all(root, dataset_ids=[C21, C11])) == {C21: "cached", C11: "cached"}
    old = sorted((root / ".eqlib-cache" / C11).glob("*.parquet"))

    # Change the bytes of a file only the 2011 dataset reads (a trailing blank line: same data).
    lookup = next((root / "data" / "raw" / "census2011-ethnicity-la-pfa").glob("Local_Authority*.csv"))
    with open(lookup, "ab") as handle:
        handle.write(b"\n")
    assert _status(store.build_all(root, dataset_ids=[C21, C11])) == {C21: "cached", C11: "built"}
    new = sorted((root / ".eqlib-cache" / C11).glob("*.parquet"))
    assert len(new) == 1 and new != old  # the stale file is gone, the new key differs


def test_touched_file_is_rehashed_but_not_rebuilt(copy_raw, monkeypatch):
    root = copy_raw(*C21_FOLDERS)
    store.build_all(root, dataset_ids=[C21])
    path = root / "data" / "raw" / "census2021-ts021-ltla" / "2021_census_la.csv"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    calls: list[Path] = []
    real = store.sha256_file
    monkeypatch.setattr(store, "sha256_file", lambda p: calls.append(p) or real(p))
    assert _status(store.build_all(root, dataset_ids=[C21])) == {C21: "cached"}
    assert [p.name for p in calls] == ["2021_census_la.csv"]


def test_parquet_is_deterministic_and_writes_leave_no_temporary_files(copy_raw, tmp_path, monkeypatch):
    root = copy_raw(*C21_FOLDERS)
    store.load(C21, root=root)
    first = next((root / ".eqlib-cache" / C21).glob("*.parquet"))
    other_cache = tmp_path / "other-cache"
    monkeypatch.setenv("EQLIB_CACHE", str(other_cache))
    store.load(C21, root=root)
    second = next((other_cache / C21).glob("*.parquet"))
    assert first.name == second.name
    assert first.read_bytes() == second.read_bytes()
    leftovers = [p for p in (root / ".eqlib-cache").rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_a_failing_dataset_is_reported_and_the_rest_still_build(copy_raw, monkeypatch):
    root = copy_raw(*C21_FOLDERS)

    def broken(raw_dir: Path) -> pd.DataFrame:
        raise ValueError("this loader is broken on purpose")

    monkeypatch.setitem(
        REGISTRY, "zz_broken", Dataset("zz_broken", "Broken", ("census2021-ts021-ltla/*.csv",), broken)
    )
    results = store.build_all(root, dataset_ids=["zz_broken", C21])
    assert _status(results) == {"zz_broken": "failed", C21: "built"}
    assert "broken on purpose" in results[0].error
    report = store.format_report(results)
    assert "1 failed" in report and "zz_broken" in report
    with pytest.raises(ValueError, match="broken on purpose"):
        store.load("zz_broken", root=root)


def test_dataset_without_files_is_a_clear_error(copy_raw):
    root = copy_raw("lookup-lad21-csp21-pfa21")  # no census file
    with pytest.raises(Exception, match="no raw files for dataset 'population_census2021'"):
        store.load(C21, root=root)


def test_load_many(copy_raw):
    root = copy_raw(*C21_FOLDERS, *C11_FOLDERS)
    frames = store.load_many([C21, C11], root=root)
    assert set(frames) == {C21, C11}
    assert set(frames[C11]["census"]) == {"Census 2011"}


def test_cmd_build_cache_exit_code(copy_raw, monkeypatch, capsys):
    root = copy_raw(*C21_FOLDERS)
    monkeypatch.setattr(store, "datasets", lambda: {C21: REGISTRY[C21]})

    class Args:
        pass

    args = Args()
    args.root = str(root)
    assert store.cmd_build_cache(args) == 0
    out = capsys.readouterr().out
    assert C21 in out and "built" in out


def test_changed_loader_code_rebuilds_its_datasets(copy_raw, monkeypatch):
    root = copy_raw(*C21_FOLDERS)
    store.build_all(root, dataset_ids=[C21])
    real = store._module_source_hash
    monkeypatch.setattr(
        store,
        "_module_source_hash",
        lambda name: "edited" if name == "eqlib.sources.population" else real(name),
    )
    assert _status(store.build_all(root, dataset_ids=[C21])) == {C21: "built"}
    assert "eqlib.sources._common" in store._eqlib_dependencies("eqlib.sources.population")


def test_parallel_workers_building_the_same_dataset(copy_raw):
    """Two processes with a cold cache build at once; both get the full frame."""
    import subprocess
    import sys

    root = copy_raw(*C21_FOLDERS)
    code = (
        "import sys; from pathlib import Path; from eqlib import store; "
        "f = store.load('population_census2021', root=Path(sys.argv[1])); print(len(f), f['count'].sum())"
    )
    env = {k: v for k, v in os.environ.items() if k != "EQLIB_CACHE"}
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(root)], stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0].split() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert outputs[0] == outputs[1] == ["836", str(2 * 59_597_578.0)]
    assert len(list((root / ".eqlib-cache" / C21).glob("*.parquet"))) == 1


def test_build_all_in_worker_processes(copy_raw):
    root = copy_raw(*C21_FOLDERS, *C11_FOLDERS)
    results = store.build_all(root, dataset_ids=[C21, C11], jobs=2)
    assert [r.dataset for r in results] == [C21, C11]
    assert _status(results) == {C21: "built", C11: "built"}
    assert _status(store.build_all(root, dataset_ids=[C21, C11])) == {C21: "cached", C11: "cached"}
    hashes = (root / ".eqlib-cache" / store.HASH_INDEX).read_text(encoding="utf-8")
    assert "2021_census_la.csv" in hashes and "2011_census_la.csv" in hashes  # both workers' hashes kept


def test_read_only_cache_falls_back_to_an_uncached_frame(copy_raw, monkeypatch):
    root = copy_raw(*C21_FOLDERS)

    def refuse(*args, **kwargs):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(store, "_write_parquet", refuse)
    monkeypatch.setattr(store, "_atomic_write_bytes", refuse)
    frame = store.load(C21, root=root)
    assert len(frame) == 836
    assert not list((root / ".eqlib-cache").rglob("*.parquet"))


def test_a_flipped_byte_in_a_cache_file_is_detected_and_the_cache_rebuilt(copy_raw, caplog):
    """Cache files are checked against the sha256 written beside them: a changed file is never used."""
    root = copy_raw(*C21_FOLDERS)
    good = store.load(C21, root=root)
    target = next((root / ".eqlib-cache" / C21).glob("*.parquet"))
    assert (target.parent / (target.name + ".sha256")).is_file()
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    with pytest.raises(store.CacheIntegrityError, match="differs from the"):
        store.verify_cache_file(target)
    results = store.build_all(root, dataset_ids=[C21])
    assert _status(results) == {C21: "built"}
    assert "differs from the" in caplog.text and "rebuilding" in caplog.text
    pd.testing.assert_frame_equal(store.load(C21, root=root), good)
    store.verify_cache_file(target)  # rebuilt with a matching checksum
