"""Write the bad-input corpus (run from the project root, with EQLIB_DATA_DIR naming the data folder:
python tests/data/bad/make_corpus.py).

The files are committed; this script documents exactly how each was made (bytes, encodings,
the truncated ODS) so that they can be rebuilt. See README.md for what each one tests.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from eqlib import paths

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]

COMPLAINTS = "area,period,characteristic,group,complaint_measure,count,denominator,notes\n"
CUSTODY = "area,period,custody_measure,characteristic,group,count,denominator,notes\n"
WORKFORCE = "area,organisation,worker_type,rank,as_at,characteristic,group,headcount,notes\n"
SATISFACTION = "area,period,survey,characteristic,group,respondents,satisfied,notes\n"
HATE = "area,period,strand,hate_measure,count,notes\n"
VICTIMS = "area,period,service,service_measure,characteristic,group,count,denominator,notes\n"

LOCAL: dict[str, str] = {
    # header problems
    "wrong_header.csv": "area,period,characteristic,group,measure,count,denominator,notes\n"
    "South Wales,2021-22,ethnicity,White,complaint_cases,850,,\n",
    "missing_header.csv": "South Wales,2021-22,ethnicity,White,complaint_cases,850,,\n"
    "South Wales,2021-22,ethnicity,Black,complaint_cases,40,,\n",
    "empty.csv": "",
    "blank_lines_only.csv": "\n  \n\n",
    # cell problems
    "unknown_force.csv": COMPLAINTS + "South Wales,2021-22,ethnicity,White,complaint_cases,850,,\n"
    "South Walse,2021-22,ethnicity,Asian,complaint_cases,31,,\n",
    "unknown_ethnicity.csv": CUSTODY + "Gwent,2021-22,detentions,ethnicity,White,7100,,\n"
    "Gwent,2021-22,detentions,ethnicity,Black Britsh,310,,\n",
    "non_numeric_count.csv": COMPLAINTS + "South Wales,2021-22,sex,Female,allegations,twelve,,\n",
    "comma_decimal_count.csv": COMPLAINTS + 'South Wales,2021-22,sex,Female,allegations,"1,5",,\n',
    "two_labels_one_group.csv": COMPLAINTS + "South Wales,2021-22,ethnicity,Black,allegations,12,,\n"
    "South Wales,2021-22,ethnicity,Black or Black British,allegations,7,,\n",
    "underscore_count.csv": COMPLAINTS + "South Wales,2021-22,sex,Female,allegations,1_000,,\n",
    "exponent_count.csv": COMPLAINTS + "South Wales,2021-22,sex,Female,allegations,1e3,,\n",
    "fullwidth_count.csv": COMPLAINTS + "South Wales,2021-22,sex,Female,allegations,\uff11\uff12,,\n",
    "negative_count.csv": COMPLAINTS + "South Wales,2021-22,sex,Male,allegations,40,,\n"
    "South Wales,2021-22,sex,Female,allegations,-3,,\n",
    "blank_count.csv": COMPLAINTS + "South Wales,2021-22,sex,Male,allegations,,,\n",
    "fractional_headcount.csv": WORKFORCE
    + "Dyfed-Powys,force,officer,Constable,2022-03-31,sex,Female,412.5,FTE by mistake\n",
    "total_row.csv": COMPLAINTS + "South Wales,2021-22,ethnicity,White,complaint_cases,850,,\n"
    "South Wales,2021-22,ethnicity,Total,complaint_cases,1000,,\n",
    "unknown_characteristic.csv": COMPLAINTS + "South Wales,2021-22,race,White,complaint_cases,850,,\n",
    "unknown_measure.csv": COMPLAINTS + "South Wales,2021-22,ethnicity,White,complaints,850,,\n",
    "bad_period.csv": COMPLAINTS + "South Wales,2021-23,ethnicity,White,complaint_cases,850,,\n",
    "count_over_denominator.csv": SATISFACTION
    + "North Wales,2021-22,Victim satisfaction: whole experience,ethnicity,White,300,310,\n",
    "wrong_field_count.csv": COMPLAINTS
    + "South Wales,2021-22,ethnicity,White,complaint_cases,850,,PSD data, excluding Schedule 3\n",
    "opcc_officer.csv": WORKFORCE + "South Wales,opcc,officer,all,2022-03-31,sex,Female,3,\n",
    "rank_all_mixed.csv": WORKFORCE + "Gwent,force,officer,all,2022-03-31,sex,Female,500,\n"
    "Gwent,force,officer,Constable,2022-03-31,sex,Female,380,\n",
    "example_rows_left_in.csv": HATE
    + "South Wales,2021-22,race,crimes,1500,EXAMPLE row: invented figure; delete\n",
    # an unterminated quote (row 3, notes): csv would read rows 3-5 as one value
    "unterminated_quote.csv": HATE + "South Wales,2021-22,race,crimes,1500,\n"
    'South Wales,2021-22,religion,crimes,80,"PSD data, excluding Schedule 3\n'
    "South Wales,2021-22,disability,crimes,95,\n"
    "South Wales,2021-22,transgender,crimes,60,\n",
    # overlapping age bands in one table: two bandings mixed, people of the shared ages counted twice
    "overlapping_age_bands.csv": COMPLAINTS + "South Wales,2021-22,age,18-24,complainants,40,,\n"
    "South Wales,2021-22,age,25-34,complainants,55,,\n"
    "South Wales,2021-22,age,20-29,complainants,61,,\n",
    "overlapping_open_age_bands.csv": VICTIMS + "Gwent,2021-22,Victim care hub,referrals,age,under 18,30,,\n"
    "Gwent,2021-22,Victim care hub,referrals,age,18-64,900,,\n"
    "Gwent,2021-22,Victim care hub,referrals,age,65+,120,,\n"
    "Gwent,2021-22,Victim care hub,referrals,age,75 and over,45,,\n",
    # years outside 1980-81 to 2049-50 (0000 and 9999-00 are not even dates in Python) and a date
    # that does not exist: refused, never kept as an "earlier year" in the trends
    "out_of_range_periods.csv": COMPLAINTS + "Gwent,0000,sex,Female,allegations,5,,\n"
    "Gwent,9999-00,sex,Female,allegations,6,,\n"
    "Gwent,1066-67,sex,Female,allegations,7,,\n"
    "Gwent,2021-22,sex,Female,allegations,8,,\n",
    "impossible_date.csv": WORKFORCE + "Gwent,force,officer,all,2024-02-30,sex,Female,500,\n",
    # symbols
    "gss_symbols.csv": CUSTODY + "South Wales,2021-22,detentions,ethnicity,White,21000,,\n"
    "South Wales,2021-22,detentions,ethnicity,Black (or Black British),[c],,\n"
    "South Wales,2021-22,detentions,ethnicity,Asian (or Asian British),[x],,\n"
    "South Wales,2021-22,detentions,ethnicity,Mixed,[z],,\n"
    "South Wales,2021-22,detentions,ethnicity,Other,[u],,\n",
    "shorthand_symbols.csv": CUSTODY + "South Wales,2021-22,strip_searches,ethnicity,White,..,21000,\n"
    "South Wales,2021-22,strip_searches,ethnicity,Black (or Black British),*,900,\n"
    "South Wales,2021-22,strip_searches,ethnicity,Asian (or Asian British),4,[c],\n",
    "dash.csv": CUSTODY + "South Wales,2021-22,strip_searches,ethnicity,Mixed,-,,\n",
    # duplicates
    "duplicate_rows.csv": HATE + "Gwent,2021-22,race,crimes,410,\n"
    "Gwent,2021-22,religion,crimes,25,\n"
    "Gwent,2021-22,race,crimes,410,\n",
    "conflicting_rows.csv": HATE + "Gwent,2021-22,race,crimes,410,\n"
    "gwent,2021/22,Race,crimes,395,corrected figure\n",
    # several problems at once: validate must list them all
    "many_problems.csv": COMPLAINTS + "South Wales,2021-22,ethnicity,White,complaint_cases,850,,\n"
    "Sowth Wales,2021-22,ethnicity,White,complaint_cases,10,,\n"
    "South Wales,2021-22,ethnicity,Purple,complaint_cases,10,,\n"
    "South Wales,2021-22,ethnicity,Black,complaint_cases,ten,,\n"
    "South Wales,2021-22,ethnicity,Asian,complaint_cases,-1,,\n",
}

# encodings: read correctly, not refused
CP1252 = (
    VICTIMS + "South Wales,2021-22,Canolfan Cymorth i Ddioddefwyr – Caerdydd,referrals,ethnicity,White,"
    "1200,,Budget £1.2m; café drop-ins\n"
)
BOM = HATE + "South Wales,2021-22,race,crimes,1500,\nSouth Wales,2021-22,religion,crimes,80,\n"

POLICEUK_HEADER = (
    "Type,Date,Part of a policing operation,Policing operation,Latitude,Longitude,Gender,"
    "Age range,Self-defined ethnicity,Officer-defined ethnicity,Legislation,Object of search,"
    "Outcome,Outcome linked to object of search,Removal of more than just outer clothing\n"
)
POLICEUK_ROWS = (
    "Person search,2021-04-01T10:00:00+00:00,False,,51.48,-3.18,Male,18-24,"
    "White - English/Welsh/Scottish/Northern Irish/British,White,Misuse of Drugs Act 1971 (section 23),"
    "Controlled drugs,A no further action disposal,False,False\n"
    "Person search,2021-04-02T11:30:00+00:00,False,,51.49,-3.17,Female,25-34,"
    "Black/African/Caribbean/Black British - African,Black,Police and Criminal Evidence Act 1984 (section 1),"
    "Stolen goods,Arrest,True,False\n"
)
POLICEUK: dict[str, bytes] = {
    # 'Self defined ethnicity' without the hyphen
    "2021-04-south-wales-stop-and-search.csv": (
        POLICEUK_HEADER.replace("Self-defined ethnicity", "Self defined ethnicity") + POLICEUK_ROWS
    ).encode(),
    "2021-05-south-wales-stop-and-search.csv": (
        POLICEUK_HEADER
        + POLICEUK_ROWS
        + "Person search,2021-05-03T09:00:00+00:00,False,,51.5,-3.2,Male,over 34,White - Welsh,White,"
        "Misuse of Drugs Act 1971 (section 23),Controlled drugs,A no further action disposal,False,False\n"
    ).encode(),
    "2021-06-south-walse-stop-and-search.csv": (POLICEUK_HEADER + POLICEUK_ROWS).encode(),
    "2021-07-south-wales-stop-and-search.csv": b"\xef\xbb\xbf" + (POLICEUK_HEADER + POLICEUK_ROWS).encode(),
    "2021-08-south-wales-stop-and-search.csv": b"",
    "2021-09-south-wales-stop-and-search.csv": POLICEUK_ROWS.encode(),  # no header line
    # row 3 opens a quote in Policing operation that never closes: csv alone reads rows 3-4 as one field
    "2021-10-south-wales-stop-and-search.csv": (
        POLICEUK_HEADER
        + POLICEUK_ROWS.replace(",False,,51.49,", ',True,"Operation Bang, phase 2,51.49,')
        + POLICEUK_ROWS.splitlines(keepends=True)[0]
    ).encode(),
}

ARRESTS_ODS = (
    paths.raw_dir(ROOT) / "ho-arrests-ppp-2018-19/arrest-police-powers-procedures-mar19-hosb2519-tables.ods"
)


DYFED_CHINESE_OTHER_2017_18 = (
    '<table:table-cell office:value-type="float" office:value="13" table:style-name="ce29">'
    "<text:p><text:s/>13<text:s/></text:p></table:table-cell>"
)
DASH_CELL = '<table:table-cell office:value-type="string" table:style-name="ce29"><text:p><text:s/>-<text:s/></text:p></table:table-cell>'


def dash_copy(source: Path, target: Path) -> None:
    """Copy the arrests workbook with one A_08 cell (Dyfed-Powys, 2017/18, Chinese or Other: 13)
    written as the Home Office nil symbol ' - ' (the sheet's note: "' - ' = Nil")."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "content.xml":
                text = data.decode("utf-8")
                start = text.index('table:name="A_08"')
                at = text.index(DYFED_CHINESE_OTHER_2017_18, text.index("Dyfed-Powys", start))
                text = text[:at] + DASH_CELL + text[at + len(DYFED_CHINESE_OTHER_2017_18) :]
                data = text.encode("utf-8")
            compress = zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED
            zout.writestr(info, data, compress_type=compress)


#: params files (issue 10): hostile or careless YAML; tests/test_robustness.py checks each message
_HEAD = "area: gwent\nyear: 2021-22\n"
PARAMS: dict[str, str] = {
    "alias_bomb.yml": _HEAD
    + "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(8)),
    "deep_nesting.yml": _HEAD + "notes: " + "[" * 2000 + "]" * 2000 + "\n",
    "recursive_alias.yml": _HEAD + "notes: &a [1, *a]\n",
    "impossible_date.yml": _HEAD + "self_assessment:\n  assessed_on: 2024-02-30\n  themes: []\n",
    "year_out_of_range.yml": "area: gwent\nyear: 1066-67\n",
    "year_0000.yml": "area: gwent\nyear: 0000\n",
    "year_9999.yml": "area: gwent\nyear: 9999\n",
    "duplicate_key.yml": _HEAD + "suppression_threshold: 10\nnotes: Local figures from PSD\n"
    "suppression_threshold: 5\n",
    "unknown_reference_group.yml": _HEAD + "reference_group: Whte\n",
    "other_significance_level.yml": _HEAD + "significance_level: 0.01\n",
    "javascript_link.yml": _HEAD + "self_assessment:\n  themes:\n    - theme: 1\n      level: Developing\n"
    "      criteria_met:\n        - criterion: 1.1.1\n          evidence:\n"
    "            - link: javascript:alert(1)//https://example.org\n",
}


def main() -> None:
    local = HERE / "local"
    local.mkdir(exist_ok=True)
    for name, text in LOCAL.items():
        (local / name).write_bytes(text.encode("utf-8"))
    (local / "cp1252.csv").write_bytes(CP1252.encode("cp1252"))
    (local / "utf8_bom.csv").write_bytes(b"\xef\xbb\xbf" + BOM.encode("utf-8"))
    policeuk = HERE / "policeuk"
    policeuk.mkdir(exist_ok=True)
    for name, data in POLICEUK.items():
        (policeuk / name).write_bytes(data)
    ods = HERE / "ods"
    ods.mkdir(exist_ok=True)
    data = ARRESTS_ODS.read_bytes()
    (ods / "arrests-truncated.ods").write_bytes(data[: len(data) // 2])
    dash_copy(ARRESTS_ODS, ods / "arrests-dash-nil.ods")
    params = HERE / "params"
    params.mkdir(exist_ok=True)
    for name, text in PARAMS.items():
        (params / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
