"""A self-contained HTML page to scrub through *every* validation window's attention.

The PNG heatmaps show a handful of chosen windows; this page adds what they cannot: a slider
over all (sampled) windows and exact values on hover (timestamps, lag, weight). No external
scripts or CDNs, so it opens from the MLflow UI or offline. Weights are stored as 8-bit levels of
each window's own maximum (base64) to keep the file a few MB at lookback and horizon 96.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pandas as pd

from tsattn.tracking.attention_plots import time_labels
from tsattn.tracking.attention_tables import WINDOW_KEYS, check_temporal_frame, matrix_of_window

__all__ = ["write_report"]

_MAX_CELLS = 3_000_000  # bytes of weights before base64; ~4 MB of HTML


def write_report(path: str | Path, frame: pd.DataFrame, *, freq: str | None = None) -> Path:
    """Write the interactive attention report for temporal frame `frame` to `path`."""
    check_temporal_frame(frame)
    keys = frame[WINDOW_KEYS].drop_duplicates().sort_values(WINDOW_KEYS).reset_index(drop=True)
    steps, lags = frame["step"].nunique(), frame["lag"].nunique()
    keep = max(1, min(len(keys), _MAX_CELLS // max(1, steps * lags)))
    picked = keys.iloc[np.unique(np.linspace(0, len(keys) - 1, keep).round().astype(int))]
    wanted = set(picked.itertuples(index=False, name=None))
    windows = [
        _window(key, rows) for key, rows in frame.groupby(WINDOW_KEYS, sort=True) if key in wanted
    ]
    payload = json.dumps({"windows": windows, "total": len(keys), "freq": freq or ""})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_PAGE.replace("__DATA__", payload.replace("</", "<\\/")), encoding="utf-8")
    return path


def _window(key: tuple[object, object], rows: pd.DataFrame) -> dict[str, object]:
    series, origin = key
    matrix, targets, sources = matrix_of_window(rows)
    top = float(matrix.max()) or 1.0
    levels = np.clip(np.rint(matrix / top * 255), 0, 255).astype(np.uint8)  # (H, L)
    return {
        "label": f"{series} @ {time_labels([origin])[0]}",
        "rows": int(matrix.shape[0]),
        "cols": int(matrix.shape[1]),
        "max": top,
        "targets": time_labels(targets),
        "sources": time_labels(sources),
        "cells": base64.b64encode(levels.tobytes()).decode("ascii"),
    }


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tsattn attention report</title>
<style>
 body{font:14px system-ui,sans-serif;margin:16px;color:#222}
 #wrap{display:flex;gap:16px;align-items:flex-start}
 canvas{border:1px solid #ccc;image-rendering:pixelated;cursor:crosshair}
 #info{min-width:260px;font-family:ui-monospace,monospace;white-space:pre}
 input[type=range]{width:480px}
</style></head><body>
<h2>Temporal attention, window by window</h2>
<p>Rows: forecast steps (first at top). Columns: past timesteps (oldest left, origin right).
Colour: weight relative to the window's maximum. Hover for exact values.
<span id="sampled"></span></p>
<p><input id="slider" type="range" min="0" value="0"> <b id="label"></b></p>
<div id="wrap"><canvas id="map"></canvas><div id="info"></div></div>
<script>
const DATA = __DATA__;
const W = DATA.windows, slider = document.getElementById('slider');
const canvas = document.getElementById('map'), ctx = canvas.getContext('2d');
const info = document.getElementById('info');
slider.max = W.length - 1;
if (DATA.total > W.length) document.getElementById('sampled').textContent =
  `Showing ${W.length} of ${DATA.total} windows, evenly spaced.`;
function viridis(t){const c=[[68,1,84],[59,82,139],[33,145,140],[94,201,98],[253,231,37]];
 const x=t*(c.length-1),i=Math.min(Math.floor(x),c.length-2),f=x-i;
 return c[i].map((v,k)=>Math.round(v+(c[i+1][k]-v)*f));}
let cur=null, cells=null, scale=1;
function show(k){cur=W[k];cells=Uint8Array.from(atob(cur.cells),ch=>ch.charCodeAt(0));
 scale=Math.max(2,Math.floor(Math.min(900/cur.cols,700/cur.rows)));
 canvas.width=cur.cols*scale;canvas.height=cur.rows*scale;
 const img=ctx.createImageData(cur.cols,cur.rows);
 for(let i=0;i<cells.length;i++){const [r,g,b]=viridis(cells[i]/255);
  img.data.set([r,g,b,255],4*i);}
 const tmp=document.createElement('canvas');tmp.width=cur.cols;tmp.height=cur.rows;
 tmp.getContext('2d').putImageData(img,0,0);ctx.imageSmoothingEnabled=false;
 ctx.drawImage(tmp,0,0,canvas.width,canvas.height);
 document.getElementById('label').textContent=`${k+1}/${W.length}: ${cur.label}`;}
canvas.addEventListener('mousemove',e=>{if(!cur)return;
 const c=Math.floor(e.offsetX/scale),r=Math.floor(e.offsetY/scale);
 if(c<0||r<0||c>=cur.cols||r>=cur.rows)return;
 const w=cells[r*cur.cols+c]/255*cur.max;
 info.textContent=`step        +${r+1}\\ntarget time ${cur.targets[r]}\\n`+
  `source time ${cur.sources[c]}\\nlag         ${cur.cols-1-c}\\n`+
  `weight      ${w.toFixed(4)}`;});
slider.addEventListener('input',()=>show(+slider.value));
show(0);
</script></body></html>
"""
