"""`hubcache ca`: the store's interception CA, made once, and a bundle clients can trust."""

import os
import ssl
import stat
import subprocess


def test_ca_is_made_once_with_a_private_key(hubcache, tmp_path):
    done = hubcache.run("ca")
    assert done.returncode == 0, done.stderr
    path = done.stdout.strip()
    assert path == str(hubcache.store / "ca" / "ca.pem")
    key = hubcache.store / "ca" / "ca-key.pem"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    first = open(path).read()
    assert hubcache.run("ca").stdout.strip() == path
    assert open(path).read() == first  # not made again

    # openssl sees a CA certificate, EC P-256.
    text = subprocess.run(["openssl", "x509", "-in", path, "-noout", "-text"],
                          capture_output=True, text=True, check=True).stdout
    assert "CA:TRUE" in text and "prime256v1" in text


def test_bundle_is_loadable_and_holds_the_system_cas(hubcache, tmp_path):
    bundle = tmp_path / "bundle.pem"
    info = hubcache.json("ca", "--bundle", str(bundle))
    assert info["bundle"] == str(bundle)
    ours = open(info["certificate"]).read()
    text = bundle.read_text()
    assert text.endswith(ours)
    context = ssl.create_default_context(cafile=str(bundle))
    loaded = context.cert_store_stats()["x509_ca"]
    assert loaded >= 2  # the system CAs and ours
