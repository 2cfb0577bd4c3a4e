# The bot, polling by default. Build: docker build -t movie-bot .
# Run: docker run --env-file .env -v movie-bot-data:/data movie-bot
# NOTE: no Docker engine runs in CI, so this file is checked by reading, not by a build.

# Slim Debian with CPython 3.11, the oldest Python the project supports.
FROM python:3.11-slim

# No .pyc files in the image, log lines reach `docker logs` at once, pip keeps no cache,
# and the database lives on the volume below.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 DATA_DIR=/data

# The project's files go here, apart from the data.
WORKDIR /app

# CPU-only torch from PyTorch's CPU index, in its own layer: PyPI's Linux wheels bundle
# CUDA libraries of several GB that a CPU bot never uses.
RUN pip install --index-url https://download.pytorch.org/whl/cpu "torch==2.13.0"

# Dependencies before the source, so that a code change does not reinstall them: install
# the project from placeholder packages, then remove it and keep what it pulled in.
COPY pyproject.toml README.md ./
RUN mkdir bot recommender && touch bot/__init__.py recommender/__init__.py \
    && pip install . && pip uninstall -y movie-recommender-bot

# The source last, as it changes most often.
COPY bot ./bot
COPY recommender ./recommender

# An unprivileged user that owns only the data folder: a flaw in the bot cannot change
# the installed code.
RUN useradd --create-home --uid 10001 bot && mkdir -p /data && chown bot /data
USER bot

# Ratings and the user mapping survive a new container only on a volume.
VOLUME ["/data"]

# Webhook mode listens on WEBHOOK_PORT; 8443 is one of the ports Telegram delivers to.
# Polling mode opens no port.
EXPOSE 8443

# `python -m bot health` passes while the bot polled within HEALTH_MAX_AGE_SECONDS (60 by
# default), or, in webhook mode, while the webhook port accepts connections. It imports
# no torch, so it takes well under a second. start-period covers the first training.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot", "health"]

# SIGTERM (docker stop) lets a running training finish within SHUTDOWN_TIMEOUT_SECONDS.
CMD ["python", "-m", "bot"]
