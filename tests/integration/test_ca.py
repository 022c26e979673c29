"""`hubcache ca`: the store's interception CA, made once, and a bundle clients can trust."""

import os
import ssl
import stat
import subprocess


def test_ca_is_made_once_with_a_private_key(hubcache, tmp_path):
    hubcache.make_store()
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
    hubcache.make_store()
    bundle = tmp_path / "bundle.pem"
    info = hubcache.json("ca", "--bundle", str(bundle))
    assert info["bundle"] == str(bundle)
    ours = open(info["certificate"]).read()
    text = bundle.read_text()
    assert text.endswith(ours)
    context = ssl.create_default_context(cafile=str(bundle))
    loaded = context.cert_store_stats()["x509_ca"]
    assert loaded >= 2  # the system CAs and ours


def test_env_prints_what_run_sets(hubcache, tmp_path):
    hubcache.make_store()
    done = hubcache.run("env", "--endpoint", "http://127.0.0.1:9999")
    assert done.returncode == 0, done.stderr
    shell = subprocess.run(["sh", "-c", done.stdout + "\nenv"], capture_output=True, text=True,
                           check=True).stdout
    values = dict(line.split("=", 1) for line in shell.splitlines() if "=" in line)
    for name in ("HF_ENDPOINT", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        assert values[name] == "http://127.0.0.1:9999"
    bundle = hubcache.store / "ca" / "bundle.pem"
    for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS",
                 "PIP_CERT", "GIT_SSL_CAINFO"):
        assert values[name] == str(bundle)
    assert bundle.read_text().endswith((hubcache.store / "ca" / "ca.pem").read_text())
    github = hubcache.run("env", "--format", "github").stdout.splitlines()
    assert "HF_ENDPOINT=http://127.0.0.1:8780" in github
    assert all("=" in line and not line.startswith("export") for line in github)


def test_issue15_ca_and_env_say_there_is_no_store_rather_than_make_one(hubcache, tmp_path):
    # A mistyped --store is said, as every other command says it; nothing is created there.
    for args in (["ca"], ["ca", "--bundle", str(tmp_path / "bundle.pem")], ["env"]):
        done = hubcache.run(*args)
        assert done.returncode == 1, args
        assert done.stdout == ""
        assert done.stderr == (f"hubcache: error: no store at {hubcache.store} (nothing recorded "
                               "there yet; pass --store or set HUBCACHE_STORE)\n")
        assert not hubcache.store.exists()
        assert not (tmp_path / "bundle.pem").exists()
