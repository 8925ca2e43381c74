#!/usr/bin/env python3
"""Convert the WHO 2007 growth references (5 to 19 years) shipped in pygrowthstandards into
Sampark's tables.

Usage:
    pip download --no-deps pygrowthstandards==0.1.3
    pip install pyarrow            # to read the package's parquet file
    python3 convert.py pygrowthstandards-0.1.3-py3-none-any.whl

Writes, next to this script:
    hfa.tsv   height-for-age LMS by age in whole months (61 to 228), girls and boys
    bfa.tsv   BMI-for-age LMS by age in whole months (61 to 228), girls and boys

The package keys WHO's monthly rows by age in days (about the month times 30.4375); they are
keyed here by the month again. Values are written as the shortest decimal that reads back as
the same number, which is the decimal WHO published (at most 5 places).
"""

import io
import sys
import zipfile
from pathlib import Path

import pyarrow.parquet as pq

OUT = Path(__file__).resolve().parent
VERSION = "0.1.3"
PARQUET = "pygrowthstandards/data/pygrowthstandards_1.1.parquet"
DAYS_PER_MONTH = 30.4375
FIRST, LAST = 61, 228

# (output name, the package's measurement type, what it is)
TABLES = [
    ("hfa", "stature", "height-for-age (cm)"),
    ("bfa", "body_mass_index", "BMI-for-age (kg/m²)"),
]


def rows(table, measurement):
    """{sex: {month: (l, m, s)}} of WHO's 5-19 year reference for one measurement."""
    out = {"F": {}, "M": {}}
    d = table.to_pydict()
    for i in range(len(d["x"])):
        if (d["source"][i], d["name"][i], d["measurement_type"][i], d["x_var_type"][i]) != (
            "who", "growth", measurement, "age",
        ):
            continue
        month = round(d["x"][i] / DAYS_PER_MONTH)
        if abs(month * DAYS_PER_MONTH - d["x"][i]) > 2:
            sys.exit(f"{measurement}: day {d['x'][i]} is not a whole month")
        sex = d["sex"][i]
        if month in out[sex]:
            sys.exit(f"{measurement}: month {month} twice for {sex}")
        out[sex][month] = (d["l"][i], d["m"][i], d["s"][i])
    for sex, by_month in out.items():
        if sorted(by_month) != list(range(FIRST, LAST + 1)):
            sys.exit(f"{measurement} {sex}: months are not {FIRST} to {LAST}")
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    with zipfile.ZipFile(sys.argv[1]) as wheel:
        table = pq.read_table(io.BytesIO(wheel.read(PARQUET)))
    for name, measurement, what in TABLES:
        data = rows(table, measurement)
        lines = [
            f"# WHO growth reference for school-aged children and adolescents (2007): {what}, LMS parameters.",
            f"# Source: pygrowthstandards {VERSION} (MIT), {PARQUET}; see README.md.",
            "# key = age in whole months; f_ = girls, m_ = boys. Made by convert.py.",
            "key\tf_l\tf_m\tf_s\tm_l\tm_m\tm_s",
        ]
        for month in range(FIRST, LAST + 1):
            cells = [str(month)] + [repr(v) for sex in ("F", "M") for v in data[sex][month]]
            lines.append("\t".join(cells))
        (OUT / f"{name}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{name}.tsv: {LAST - FIRST + 1} rows, months {FIRST} to {LAST}")


if __name__ == "__main__":
    main()
