#!/usr/bin/env bash
# one-off: CPU benchmark on an idle machine pinned to 2 cores, and a CUDA train/test check
set -u
exec > >(tee "$OUT/log.txt") 2>&1
nproc; python -V; python -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
python -c "import lightning, torchmetrics, rich, tensorboard; print('lightning', lightning.__version__)" || echo "missing a package"
export PYTHONPATH=$PWD/src CARVE_CACHE_DIR=/tmp/carve-cache
python -m carve --version || exit 1
python -c "from carve.data import get_dataset; get_dataset('jsc-synth')"  # build the cache first
echo "== GPU check"
cd /tmp && rm -rf gpu && mkdir gpu && cd gpu
python -m carve train jsc-tiny jsc-synth --max-epochs 2 --batch-size 256 --learning-rate 1e-2 --accelerator cuda --no-progress | tail -12
python -m carve test jsc-tiny jsc-synth --accelerator cuda --load carve_output/*/software/training_ckpts/best.ckpt | tail -6
python -m carve train jsc-tiny jsc-synth --max-epochs 2 --batch-size 256 --learning-rate 1e-2 --accelerator cpu --project cpu --no-progress | tail -9
cd "$OLDPWD"
echo "== CPU benchmark, taskset 2 cores"
taskset -c 0,1 python benchmarks/train_throughput.py --repeats 3 2>&1 | grep -v -i "warn\|tip:\|available:\|stopped\|pytree\|litlogger"
