# The bot on long polling. Build: docker build -t movie-bot .
# Run: docker run --env-file .env -v movie-bot-data:/data movie-bot
FROM python:3.11-slim

# No .pyc files in the image, and log lines reach `docker logs` at once.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 DATA_DIR=/data

WORKDIR /app

# CPU-only torch from PyTorch's CPU index, in its own layer: PyPI's Linux wheels bundle
# CUDA libraries of several GB that a CPU bot never uses.
RUN pip install --index-url https://download.pytorch.org/whl/cpu "torch==2.13.0"

# Dependencies before the source, so that a code change does not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir bot recommender && touch bot/__init__.py recommender/__init__.py \
    && pip install . && pip uninstall -y movie-recommender-bot

COPY bot ./bot
COPY recommender ./recommender

# An unprivileged user that owns only the data volume.
RUN useradd --create-home --uid 10001 bot && mkdir -p /data && chown bot /data
USER bot
VOLUME ["/data"]

CMD ["python", "-m", "bot"]
