"""Attention Atlas dashboard: the Dash app on top of the NumPy engine (see dashapp.app).

The server runs BLAS single-threaded: parallelism comes from gunicorn's workers and threads,
and on a 2-core host several request threads each starting BLAS threads oversubscribe the
cores (measured: a 128 x 768 projection took 28.6 ms with default threads under load, 4.5 ms
with one). This must happen before NumPy is first imported; an explicit setting wins.
"""

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
