#!/bin/sh
# Starts radosgw in the foreground on 127.0.0.1:$RGW_PORT, after making the S3 user of the
# stack on first start (radosgw-admin against the same dbstore).
set -eu
: "${RGW_PORT:=7480}" "${RGW_ACCESS_KEY:?}" "${RGW_SECRET_KEY:?}"
mkdir -p /var/lib/ceph/radosgw
# On a brand-new dbstore radosgw-admin has been seen to hang for good (its threads parked on
# futexes) while creating it; a second try on the same files goes through at once. So every
# admin call has a timeout, and the user is looked up again after each try.
admin() { timeout 10 radosgw-admin --no-mon-config "$@" >/dev/null 2>&1; }
tries=0
until admin user info --uid=muscode; do
  tries=$((tries + 1))
  if [ "$tries" -gt 5 ]; then
    echo "radosgw-admin could not make the S3 user" >&2
    exit 1
  fi
  admin user create --uid=muscode --display-name=MUSCode \
    --access-key="$RGW_ACCESS_KEY" --secret-key="$RGW_SECRET_KEY" || true
done
exec radosgw -d --no-mon-config -n client.rgw \
  --rgw-frontends="beast endpoint=127.0.0.1:$RGW_PORT"
