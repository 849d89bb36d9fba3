"""A self-contained HTML page to scrub through *every* validation window's attention.

The PNG heatmaps show a handful of chosen windows; this page adds what they cannot: a slider
over all (sampled) windows and values on hover (timestamps, lag, lift, weight). It draws on
the same `LiftScale` as the PNGs, shared by all windows, with its colour legend, the uniform
level, the series id, timestamps on both axes and the concentration numbers in the header.
No external scripts or CDNs, so it opens from the MLflow UI or offline. Cells are stored as
8-bit positions on the shared log-lift axis (base64; ~4 % steps at the widest scale, exact at
lift 1) to keep the file a few MB at lookback and horizon 96.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import numpy as np
import pandas as pd

from tsattn.interpret.labels import (
    READING_GUIDE,
    nice_steps,
    series_label,
    stamp,
    tick_positions,
    time_labels,
)
from tsattn.interpret.scale import LiftScale, frame_lift_scale, tick_label
from tsattn.interpret.tables import (
    WINDOW_KEYS,
    check_temporal_frame,
    concentration,
    id_column,
    matrix_of_window,
)

__all__ = ["write_report"]

_MAX_CELLS = 3_000_000  # bytes of cells before base64; ~4 MB of HTML
_LEVELS = 255  # odd, so level 127 is exactly lift 1 (white)


def write_report(
    path: str | Path,
    frame: pd.DataFrame,
    *,
    freq: str | None = None,
    scale: LiftScale | None = None,
    id_col: str | None = None,
    target: str | None = None,
) -> Path:
    """Write the interactive attention report for temporal frame `frame` to `path`.

    `scale` defaults to `frame_lift_scale(frame)`; pass the PNG heatmaps' scale to keep them
    and the page alike. `id_col` (read off the frame's id column when not given) and `target`
    name the series as the user knows them.
    """
    id_col = id_col or id_column(frame)
    frame = check_temporal_frame(frame)
    scale = scale or frame_lift_scale(frame)
    keys = frame[WINDOW_KEYS].drop_duplicates().sort_values(WINDOW_KEYS).reset_index(drop=True)
    steps, lags = frame["step"].nunique(), frame["lag"].nunique()
    keep = max(1, min(len(keys), _MAX_CELLS // max(1, steps * lags)))
    picked = keys.iloc[np.unique(np.linspace(0, len(keys) - 1, keep).round().astype(int))]
    wanted = set(picked.itertuples(index=False, name=None))
    windows = [
        _window(key, rows, scale, id_col, target)
        for key, rows in frame.groupby(WINDOW_KEYS, sort=True)
        if key in wanted
    ]
    payload = {
        "windows": windows,
        "total": len(keys),
        "freq": freq or "",
        "lookback": int(lags),
        "limit": scale.limit,
        "levels": _LEVELS,
        "palette": scale.palette(_LEVELS),
    }
    page = _PAGE.replace("__HEADER__", _header(frame, scale, lags, freq, id_col, target))
    page = page.replace("__DATA__", json.dumps(payload).replace("</", "<\\/"))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def _window(
    key: tuple[object, object],
    rows: pd.DataFrame,
    scale: LiftScale,
    id_col: str | None,
    target: str | None,
) -> dict[str, object]:
    series, origin = key
    matrix, targets, sources = matrix_of_window(rows)
    lift = matrix * matrix.shape[1]  # -> (H, L)
    levels = np.rint(scale.position(lift) * (_LEVELS - 1)).astype(np.uint8)
    nice = nice_steps(sources)
    stats = concentration(rows)
    return {
        "series": series_label(series, id_col=id_col, target=target),
        "origin": stamp(origin),
        "stats": f"entropy ratio {stats['entropy_ratio']:.3f}, "
        f"top-10% mass {stats['top10_mass']:.3f}",
        "rows": int(matrix.shape[0]),
        "cols": int(matrix.shape[1]),
        "targets": time_labels(targets),
        "sources": time_labels(sources),
        "xticks": tick_positions(matrix.shape[1], 12, anchor_end=True, nice=nice),
        "yticks": tick_positions(matrix.shape[0], 16, anchor_end=False, nice=nice),
        "cells": base64.b64encode(levels.tobytes()).decode("ascii"),
    }


def _header(
    frame: pd.DataFrame,
    scale: LiftScale,
    lookback: int,
    freq: str | None,
    id_col: str | None,
    target: str | None,
) -> str:
    """Title, reading guide, concentration numbers and the colour legend, as HTML."""
    stats = concentration(frame)
    windows = len(frame[WINDOW_KEYS].drop_duplicates())
    ids = [series_label(s, id_col=id_col) for s in frame["series"].drop_duplicates()]
    shown = ", ".join(ids[:8]) + (f" and {len(ids) - 8} more" if len(ids) > 8 else "")
    of = f" of {target}" if target else ""
    step = f"; 1 step = {freq}" if freq else ""
    ticks = "".join(
        f'<span class="tick" style="left:{100 * p:.2f}%">{html.escape(label)}</span>'
        for p, label in _legend_ticks(scale)
    )
    gradient = ",".join(scale.palette(33))
    return f"""<h2>Temporal attention{html.escape(of)}, window by window</h2>
<p>Series: <b>{html.escape(shown)}</b></p>
<p class="guide">{html.escape(READING_GUIDE)}. Rows: forecast target time (first step at top);
columns: source time (oldest left, origin right{step}). Hover for values.</p>
<p id="stats"><b>Concentration</b> over all {windows} windows:
entropy ratio <b>{stats["entropy_ratio"]:.3f}</b> (1 = uniform, 0 = one timestep);
top-10% mass <b>{stats["top10_mass"]:.3f}</b> (uniform 0.100), a lift of
<b>{stats["top10_lift"]:.2f}</b>x.</p>
<div id="legend"><div class="caption">colour: lift over uniform 1/L (weight x L, log scale),
one scale for all windows; L = {lookback}, uniform weight 1/L = {1 / lookback:.4g}</div>
<div class="bar" style="background:linear-gradient(to right,{gradient})">
<span class="uniform" style="left:50%"></span></div><div class="ticks">{ticks}</div></div>"""


def _legend_ticks(scale: LiftScale) -> list[tuple[float, str]]:
    ticks = scale.ticks()
    positions = scale.position(np.asarray(ticks))
    return [
        (float(p), "1 = uniform" if t == 1 else tick_label(t)) for p, t in zip(positions, ticks)
    ]


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tsattn attention report</title>
<style>
 body{font:14px system-ui,sans-serif;margin:16px;color:#222}
 h2{margin:0 0 4px 0}
 .guide{color:#555;margin:2px 0 6px 0}
 #stats{margin:4px 0 10px 0}
 #legend{width:460px;margin:4px 0 14px 0}
 #legend .caption{font-size:12px;color:#444;margin-bottom:3px}
 #legend .bar{position:relative;height:14px;border:1px solid #999}
 #legend .uniform{position:absolute;top:-3px;bottom:-3px;width:2px;margin-left:-1px;
  background:#111}
 #legend .ticks{position:relative;height:16px;font-size:11px}
 #legend .tick{position:absolute;transform:translateX(-50%);white-space:nowrap}
 #wrap{display:flex;gap:16px;align-items:flex-start}
 canvas{cursor:crosshair}
 #info{min-width:280px;font-family:ui-monospace,monospace;white-space:pre}
 input[type=range]{width:480px}
</style></head><body>
__HEADER__
<p><select id="series"></select> <input id="slider" type="range" min="0" value="0">
<b id="label"></b> <span id="window-stats"></span> <span id="sampled"></span></p>
<div id="wrap"><canvas id="map"></canvas><div id="info"></div></div>
<script>
const DATA = __DATA__;
const W = DATA.windows, slider = document.getElementById('slider');
const canvas = document.getElementById('map'), ctx = canvas.getContext('2d');
const info = document.getElementById('info'), MID = (DATA.levels - 1) / 2;
const LEFT = 150, TOP = 8, BOTTOM = 96, RIGHT = 12;
slider.max = W.length - 1;
if (DATA.total > W.length) document.getElementById('sampled').textContent =
  `(showing ${W.length} of ${DATA.total} windows, evenly spaced)`;
const RGB = DATA.palette.map(h => [1, 3, 5].map(i => parseInt(h.slice(i, i + 2), 16)));
function lift(level){return Math.pow(DATA.limit, (level - MID) / MID);}
function ratio(x){return x >= 1 ? x.toPrecision(3) : '1/' + (1 / x).toPrecision(3);}
let cur=null, cells=null, scale=1;
function show(k){cur=W[k];cells=Uint8Array.from(atob(cur.cells),ch=>ch.charCodeAt(0));
 scale=Math.max(2,Math.floor(Math.min(900/cur.cols,640/cur.rows)));
 const w=cur.cols*scale, h=cur.rows*scale;
 canvas.width=LEFT+w+RIGHT;canvas.height=TOP+h+BOTTOM;
 ctx.fillStyle='#fff';ctx.fillRect(0,0,canvas.width,canvas.height);
 const img=ctx.createImageData(cur.cols,cur.rows);
 for(let i=0;i<cells.length;i++){img.data.set([...RGB[cells[i]],255],4*i);}
 const tmp=document.createElement('canvas');tmp.width=cur.cols;tmp.height=cur.rows;
 tmp.getContext('2d').putImageData(img,0,0);ctx.imageSmoothingEnabled=false;
 ctx.drawImage(tmp,LEFT,TOP,w,h);
 ctx.strokeStyle='#888';ctx.strokeRect(LEFT-0.5,TOP-0.5,w+1,h+1);
 ctx.fillStyle='#222';ctx.font='11px system-ui,sans-serif';
 ctx.textAlign='right';ctx.textBaseline='middle';
 for(const r of cur.yticks){const y=TOP+(r+0.5)*scale;
  ctx.fillText(`${cur.targets[r]}  (+${r+1})`,LEFT-6,y);ctx.fillRect(LEFT-4,y,4,1);}
 for(const c of cur.xticks){const x=LEFT+(c+0.5)*scale;ctx.fillRect(x,TOP+h,1,4);
  ctx.save();ctx.translate(x,TOP+h+8);ctx.rotate(-Math.PI/4);
  ctx.fillText(cur.sources[c],0,0);ctx.restore();}
 ctx.textAlign='center';ctx.textBaseline='alphabetic';
 ctx.fillText('source time: past timestep attended (the origin is rightmost)',
  LEFT+w/2,TOP+h+BOTTOM-4);
 ctx.save();ctx.translate(12,TOP+h/2);ctx.rotate(-Math.PI/2);
 ctx.fillText('forecast target time (step)',0,0);ctx.restore();
 document.getElementById('label').textContent=
  `${k+1}/${W.length}: ${cur.series}, origin ${cur.origin}`;
 document.getElementById('window-stats').textContent=`(this window: ${cur.stats})`;
 pick.value=cur.series;}
canvas.addEventListener('mousemove',e=>{if(!cur)return;
 const c=Math.floor((e.offsetX-LEFT)/scale),r=Math.floor((e.offsetY-TOP)/scale);
 if(c<0||r<0||c>=cur.cols||r>=cur.rows)return;
 const level=cells[r*cur.cols+c], x=lift(level);
 const edge=level===0?'<= ':(level===DATA.levels-1?'>= ':'~');
 info.textContent=`series      ${cur.series}\\nstep        +${r+1}\\n`+
  `target time ${cur.targets[r]}\\nsource time ${cur.sources[c]}\\n`+
  `lag         ${cur.cols-1-c}\\nlift        ${edge}${ratio(x)}\\n`+
  `weight      ${edge}${(x/DATA.lookback).toPrecision(3)}`;});
const pick=document.getElementById('series');
for(const name of new Set(W.map(w=>w.series))){const o=document.createElement('option');
 o.textContent=name;pick.appendChild(o);}
if (pick.options.length < 2) pick.style.display = 'none';
pick.addEventListener('change',()=>{slider.value=W.findIndex(w=>w.series===pick.value);
 show(+slider.value);});
slider.addEventListener('input',()=>show(+slider.value));
show(0);
</script></body></html>
"""
