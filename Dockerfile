# pmi-hotline: multi-stage build; the runtime image holds only the venv and runs as a non-root user.
# Configuration comes from the environment only; logs go to stdout.
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/hotline
COPY pyproject.toml requirements.lock README.md ./
COPY gateway ./gateway
COPY ussd_menus ./ussd_menus
COPY storage ./storage
RUN /opt/hotline/bin/pip install --no-cache-dir -c requirements.lock .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 hotline
COPY --from=build /opt/hotline /opt/hotline
ENV PATH=/opt/hotline/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HOTLINE_DATA_DIR=/home/hotline/var \
    PORT=8000
USER hotline
WORKDIR /home/hotline
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=2)"
# Run `hotline migrate` as a separate step before rolling out; serve also migrates (under a lock).
CMD ["hotline", "serve"]
