#!/bin/sh
# Starts radosgw in the foreground on 127.0.0.1:$RGW_PORT, after making the S3 user of the
# stack on first start (radosgw-admin against the same dbstore).
set -eu
: "${RGW_PORT:=7480}" "${RGW_ACCESS_KEY:?}" "${RGW_SECRET_KEY:?}"
mkdir -p /var/lib/ceph/radosgw
if ! radosgw-admin --no-mon-config user info --uid=muscode >/dev/null 2>&1; then
  radosgw-admin --no-mon-config user create --uid=muscode --display-name=MUSCode \
    --access-key="$RGW_ACCESS_KEY" --secret-key="$RGW_SECRET_KEY" >/dev/null
fi
exec radosgw -d --no-mon-config -n client.rgw \
  --rgw-frontends="beast endpoint=127.0.0.1:$RGW_PORT"
