#!/usr/bin/env bash
# A longer fuzzing run than CI's: FUZZ_EXAMPLES examples per operation and mode (default 300),
# against a local stack the test starts itself. Prints the operations covered and the seed.
set -euo pipefail
cd "$(dirname "$0")/.."
bin/setup
start=$(date +%s)
FUZZ_EXAMPLES="${FUZZ_EXAMPLES:-300}" FUZZ_SEED="${FUZZ_SEED:-$RANDOM}" \
  .venv/bin/python -m pytest tests/e2e/test_fuzz.py -q -s -p no:cacheprovider
echo "fuzz run took $(( $(date +%s) - start )) s"
