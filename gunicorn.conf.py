"""gunicorn's settings wherever the web server runs: `make run` (Procfile),
the Docker image and docker compose all start gunicorn in this directory,
where it reads this file. Options on gunicorn's command line override it."""

import os

# A pooling commit runs in the buyer's request, in one transaction. A round of
# a million lines took 22–37 s to commit in the benchmark (bench B1), past
# gunicorn's default 30-second worker timeout, which would kill the worker,
# roll the commit back and answer 502 however often the buyer tried again.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
# On a restart a worker finishes the request it is serving (such a commit
# too) before it stops.
graceful_timeout = timeout
