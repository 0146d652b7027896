"""One-off: add download URLs and upstream notes to data/manifest.yml (kept for the record).

Every URL below comes from the source folder's SOURCE.txt (the repository, commit and path the
copy was taken from). Run from the project root: ``python tools/manifest_urls.py``.
"""

from __future__ import annotations

from urllib.parse import quote

from eqlib import datacheck

RAW = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"
RL = ("Resistance-Lab/resistancelab_data", "625e720132cc8e912caf091b3b6ebc716fa939a8")
MAWTEE = ("mawtee/stopwatch-deploy-test", "d89f4d733a19840ea5c768125b461f5b4edb7af3")
DASH = ("osintalex/Dash-BLM", "46ee009313a424fcf089d63f2e23da2b5a1df54b")
SKEU_HEAD = "cf7ba097600f32635b4aa2e4edd8bccd60e1daab"
SKEU_OLD = "3af7521c0e404bfca97f555150d9edd29bdfca13"

IDENTICAL = (
    "identical: the file is a byte-for-byte copy of the file at its url (as SOURCE.txt records; "
    "not re-downloaded here to confirm)"
)


def url(repo_commit: tuple[str, str], path: str) -> str:
    repo, commit = repo_commit
    return RAW.format(repo=repo, commit=commit, path=quote(path))


def skeu(name: str) -> str:
    month = name[:7]
    commit = SKEU_OLD if month < "2018-04" else SKEU_HEAD
    return url(("skeuomorph/Final-year-project", commit), f"data/{month}/{name}")


# source -> (function name -> url or None, upstream note, original publisher's address or None, transform)
SOURCES = {
    "census2011-ethnicity-la-pfa": (
        lambda n: url(RL, f"source_data/demographics/{n}"),
        IDENTICAL,
        "https://www.nomisweb.co.uk/census/2011/qs201ew",
        None,
    ),
    "census2011-ethnicity-pfa-stopwatch": (
        lambda n: url(
            ("StopWatchUK/StopWatchApp_UK", "123e82859bd1b8d4b170e3bf1bc7ac9a08ace758"), f"data/{n}"
        ),
        IDENTICAL
        + "; the force-area sheets are a derivative (aggregation of ONS KS201EW, author not stated)",
        None,
        None,
    ),
    "census2011-qs201ew-la-nomis": (
        lambda n: url(MAWTEE, f"source data/{n}"),
        IDENTICAL + "; the Nomis download itself (27 January 2023)",
        "https://www.nomisweb.co.uk/census/2011/qs201ew",
        None,
    ),
    "census2021-ts021-ltla": (
        lambda n: url(MAWTEE, f"source data/{n}"),
        IDENTICAL
        + "; same size as the ONS file (490,650 bytes), so believed to be the unmodified ONS download",
        "https://download.beta.ons.gov.uk/downloads/datasets/TS021/editions/2021/versions/3.csv",
        None,
    ),
    "eff-cjs-prosecutions-convictions": (
        lambda n: url(DASH, f"data/{n}"),
        IDENTICAL,
        "https://www.ethnicity-facts-figures.service.gov.uk/",
        None,
    ),
    "eff-population-by-ethnicity-la-2011": (
        lambda n: url(DASH, f"data/{n}"),
        IDENTICAL,
        "https://www.ethnicity-facts-figures.service.gov.uk/",
        None,
    ),
    "eff-stop-search-2022-23-by-area": (
        lambda n: url(
            ("M2LabOrg/unjust-analysis", "5657777b4e582fbd9ed0d49a3b907ade5e70eb6a"), f"data/raw/{n}"
        ),
        "not byte-identical: the text of the file at url, with line endings changed from CRLF to LF "
        "(the fetch step converts them, then checks the sha256); renamed from the EFF download names "
        "by-ethnicity-and-area-table.csv and by-ethnicity-table.csv",
        "https://www.ethnicity-facts-figures.service.gov.uk/crime-justice-and-the-law/policing/stop-and-search/"
        "latest/downloads/by-ethnicity-and-area-table.csv",
        "crlf-to-lf",
    ),
    "eff-stop-search-rates-national-2006-2020": (
        lambda n: url(
            ("Abhinavk910/Data_Visualization", "ef3f7c664b3c82795358697f77bbf1495a00a6e6"),
            f"apps/Makeover_Mondays/Week_25_Stop_and_Search_UK/{n}",
        ),
        IDENTICAL + "; believed to be the EFF download as published (not certain)",
        "https://www.ethnicity-facts-figures.service.gov.uk/crime-justice-and-the-law/policing/stop-and-search/latest",
        None,
    ),
    "ho-arrests-ppp-2018-19": (
        lambda n: url(DASH, f"data/{n}"),
        IDENTICAL + "; the unmodified gov.uk file",
        "https://assets.publishing.service.gov.uk/government/uploads/system/uploads/attachment_data/file/841253/"
        "arrest-police-powers-procedures-mar19-hosb2519-tables.ods",
        None,
    ),
    "ho-police-workforce": (
        lambda n: url(RL, f"source_data/police-population/{n}"),
        IDENTICAL + "; unmodified gov.uk files",
        "https://www.gov.uk/government/collections/police-workforce-england-and-wales",
        None,
    ),
    "ho-use-of-force": (
        lambda n: url(RL, f"source_data/use-of-force/raw/{n}"),
        IDENTICAL + "; unmodified gov.uk files",
        "https://www.gov.uk/government/collections/police-use-of-force-statistics",
        None,
    ),
    "ho-workforce-ethnicity-extracts": (
        lambda n: url(
            (
                "GWilloughby99/eastern-eye",
                {
                    "chief-officer-latest.csv": "65608371b05458efc44089f234c4cad9f20c291d",
                    "officer-rank-from-2003.csv": "ed67e93478e762b2188c81a657175300e39b4dd6",
                    "chief_officer_by_ethnicity_by_year.csv": "5bf94b765198b5f97732b6c01c97c2120544b89b",
                }[n],
            ),
            (
                "police-force-demographics/final script/"
                if n == "chief-officer-latest.csv"
                else "police-force-demographics/"
            )
            + n,
        ),
        "derivative: filtered extracts of the Home Office ethnicity open data table (not the complete table; "
        "chief_officer_by_ethnicity_by_year.csv is a journalist's national sums), byte-identical to the files "
        "at url (the paths of the two files outside 'final script/' are as SOURCE.txt implies, not confirmed)",
        "https://www.gov.uk/government/statistics/police-workforce-open-data-tables",
        None,
    ),
    "iopc-deaths-following-police-contact": (
        lambda n: url(RL, f"source_data/deaths-during-or-following-police-contact/{n}"),
        IDENTICAL,
        "https://www.policeconduct.gov.uk/research-and-learning/statistics/deaths-during-or-following-police-contact",
        None,
    ),
    "lookup-lad21-csp21-pfa21": (
        lambda n: url(MAWTEE, f"source data/{n}"),
        IDENTICAL,
        "https://geoportal.statistics.gov.uk/",
        None,
    ),
    "mps-hate-crime-borough-monthly-2010-2021": (
        lambda n: url(
            ("sabrichkioua/sabrichkioua.github.io", "1c7a70a85eb212fb724fd942f8e5390de4bb41bf"),
            f"hatecrime_uk_data-main/data/{n}",
        ),
        IDENTICAL
        + "; believed to be the unmodified MPS download (not verified against the London Datastore)",
        "https://data.london.gov.uk/",
        None,
    ),
    "policeuk-stop-search-city-of-london": (
        skeu,
        IDENTICAL + "; the unmodified data.police.uk monthly files",
        "https://data.police.uk/data/archive/",
        None,
    ),
    "policeuk-stop-search-metropolitan-2018": (
        skeu,
        IDENTICAL + "; the unmodified data.police.uk monthly files",
        "https://data.police.uk/data/archive/",
        None,
    ),
    "policeuk-stop-search-wales-4forces-2019-2022": (
        lambda n: None,
        "derivative: per-force monthly files reconstructed from someone's concatenation "
        "(github.com/jh2952/swpStop-Search, Concatenation/<n>.csv at commit 91a68cbac65b35c3fe358ff50c0530eb0a2eba03; "
        "see SOURCE.txt). No address serves these bytes; eqlib data fetch downloads each concatenation "
        "(upstream_files) and rebuilds its per-force files by recipe policeuk-concat-split "
        "(eqlib.sources.policeuk_reconstruct: split where the index column restarts, drop it, 0.0/1.0 back "
        "to False/True, CRLF), then checks each rebuilt file against its sha256. The police.uk archive holds "
        "the same months (different extraction, other checksums)",
        "https://data.police.uk/data/archive/",
        None,
    ),
}

NO_URL_DOC = (
    "provenance notes written when the data folder was assembled; not published anywhere "
    "(the manifest's provenance field summarises them); not needed to build"
)
NO_URL_WALES = (
    "a reconstruction: no address serves these bytes; eqlib data fetch rebuilds them from derived_from "
    "(see the source's upstream_files)"
)


def main() -> None:
    manifest = datacheck.load_manifest()
    for folder, source in manifest["sources"].items():
        make_url, upstream, original, transform = SOURCES[folder]
        source["upstream"] = upstream
        if original:
            source["original_url"] = original
        for entry in source["files"]:
            name = entry["path"].split("/", 1)[1]
            for key in ("url", "transform", "no_url"):
                entry.pop(key, None)
            address = make_url(name) if name != "SOURCE.txt" else None
            if address:
                entry["url"] = address
                if transform:
                    entry["transform"] = transform
            else:
                entry["url"] = None
                entry["no_url"] = NO_URL_DOC if name == "SOURCE.txt" else NO_URL_WALES
        source["files"] = source.pop("files")  # the files last, after the source's description
    datacheck.write_manifest(manifest)


if __name__ == "__main__":
    main()
