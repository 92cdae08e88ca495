# claim-edit: PCI claim edits in the stream. Multi-stage, slim, non-root.
# The build stage makes the wheel (code, reference tables, samples and schemas as package
# data) and installs it into a virtualenv; the runtime stage copies only that virtualenv.

FROM python:3.11.7-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN python -m venv /opt/venv
COPY pyproject.toml README.md LICENSE ./
COPY contracts ./contracts
COPY service ./service
COPY reference ./reference
COPY samples ./samples
RUN /opt/venv/bin/pip wheel --no-deps -w /wheels . \
 && /opt/venv/bin/pip install --no-compile /wheels/claim_edit-*.whl

FROM python:3.11.7-slim-bookworm AS runtime
LABEL org.opencontainers.image.title="claim-edit" \
      org.opencontainers.image.description="PCI claim-edit service for interventional cardiology billing" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CLAIM_EDIT_HTTP_PORT=8080
RUN groupadd --system --gid 10001 claimedit \
 && useradd --system --uid 10001 --gid claimedit --no-create-home --shell /usr/sbin/nologin claimedit
WORKDIR /home/claimedit
COPY --from=build /opt/venv /opt/venv
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('CLAIM_EDIT_HTTP_PORT', '8080'); sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{port}/health/ready', timeout=2).status == 200 else 1)"]
ENTRYPOINT ["claim-edit"]
CMD ["serve"]
