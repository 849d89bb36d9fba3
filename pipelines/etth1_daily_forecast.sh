#!/usr/bin/env bash
# Scheduled forecast job for ETTh1: forecast the next horizon from the freshest data with the model
# registered as etth1@champion, write it atomically, and log the run to MLflow.
#
# cron example (every day at 06:15; one run at a time thanks to flock):
#   15 6 * * * cd /srv/tsattn && pipelines/etth1_daily_forecast.sh >> logs/etth1_forecast.log 2>&1
#
# Exit status: 0 forecast written; 2 bad input or configuration (the previous forecast is kept);
# 1 anything else. Point MLFLOW_TRACKING_URI at your tracking server, or the local store is used.
set -euo pipefail
cd "$(dirname "$0")/.."

MODEL="${TSATTN_MODEL:-models:/etth1@champion}"
DATA="${TSATTN_DATA:-data/ETTh1.csv}"
OUTPUT="${TSATTN_OUTPUT:-outputs/forecasts/etth1_latest.csv}"
TSATTN="${TSATTN_BIN:-.venv/bin/tsattn}"

exec flock --nonblock --conflict-exit-code 75 /tmp/tsattn-etth1-forecast.lock \
  "$TSATTN" forecast --model "$MODEL" --data "$DATA" --output "$OUTPUT" --experiment etth1-forecast
