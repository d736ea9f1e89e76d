# Two images from one file:
#   service  the web service and the evaluation and simulation workers (no PyTorch)
#   gpu      the worker of the `gpu` queue: the same, plus the baselines' PyTorch (PyPI's
#            Linux build, which carries CUDA)
FROM python:3.11-slim AS service

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TOMOBENCH_DATA_DIR=/data

WORKDIR /opt/tomobench

# Dependencies first, so code changes do not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir -p app workers evaluation simulation baselines migrations \
    && pip install --no-compile '.[service]' \
    && pip uninstall -y tomobench

COPY app ./app
COPY workers ./workers
COPY evaluation ./evaluation
COPY simulation ./simulation
COPY baselines ./baselines
COPY migrations ./migrations
RUN pip install --no-compile --no-deps . \
    && useradd --create-home --uid 10001 tomobench \
    && mkdir -p /data && chown tomobench:tomobench /data

USER tomobench
VOLUME ["/data"]
EXPOSE 8000

ENTRYPOINT ["tomobench"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]

FROM service AS gpu
USER root
RUN pip install --no-compile '.[service,baselines]'
USER tomobench
CMD ["worker", "--queues", "gpu", "--concurrency", "1"]
