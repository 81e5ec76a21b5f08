#!/usr/bin/env python3
"""The peer of the serving benchmark: FastAPI + uvicorn + scikit-learn serving the diabetes-bmi model
with BatCat's contract (POST /stream {"x": [[0.3]]} -> number, POST /batch -> [[p], ...]), API key checked.

Usage: peer_fastapi.py PORT DIABETES_CSV KEY
"""
import sys

import numpy as np
import pandas as pd
import uvicorn
from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel
from sklearn.linear_model import LinearRegression

port, data, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
frame = pd.read_csv(data)
model = LinearRegression().fit(frame[["bmi"]].to_numpy()[:-20], frame["target"].to_numpy()[:-20])
app = FastAPI()


class Rows(BaseModel):
    x: list[list[float]]


def check(api_key):
    if api_key != key:
        raise HTTPException(status_code=401, detail="invalid API key")


@app.post("/stream")
def stream(rows: Rows, x_api_key: str = Header(default="")):
    check(x_api_key)
    return float(model.predict(np.asarray(rows.x))[0])


@app.post("/batch")
def batch(rows: Rows, x_api_key: str = Header(default="")):
    check(x_api_key)
    return [[float(p)] for p in model.predict(np.asarray(rows.x))]


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
