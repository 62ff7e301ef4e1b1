# Sourced by the accuracy scripts (model_accuracy, covariate_ablation, cold_start_m5,
# promotions_completejourney): their test period is the last 28 days of a long CSV.
#   holdout_split DATA [TRAIN_OUT]
# sets `last` (the data's last date) and `cut` (the day before the test period) and, given
# TRAIN_OUT, writes the data up to and including `cut` there (gzip).
holdout_split() {
  last=$(zcat "$1" | awk -F, 'NR > 1 && $2 > max { max = $2 } END { print max }')
  cut=$(date -u -d "$last - 28 days" +%F)
  if [ -n "${2:-}" ]; then
    zcat "$1" | awk -F, -v cut="$cut" 'NR == 1 || $2 <= cut' | gzip -n > "$2"
  fi
}
