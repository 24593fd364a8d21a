# baton-sqlapp, the bundled example connector, as a container image: a
# static binary (CGO_ENABLED=0, built by `make image`) on an empty base
# with CA certificates, run as an unprivileged user. Any connector built
# with pkg/runner packages the same way: change the binary.
#
#   make image
#   podman run --rm -e BATON_FILE=s3://bucket/sync.c1z -e AWS_REGION=eu-west-1 \
#     -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY batonkit/baton-sqlapp:dev
#
# The build context is build/image, which `make image` fills; the base
# is empty so the image builds without a registry.
FROM scratch
COPY passwd /etc/passwd
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY baton-sqlapp /usr/local/bin/baton-sqlapp
COPY --chown=65532:65532 data /data
USER 65532:65532
WORKDIR /data
ENV HOME=/data BATON_FILE=/data/sync.c1z
ENTRYPOINT ["/usr/local/bin/baton-sqlapp"]
