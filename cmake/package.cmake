# The Debian package (CPack's DEB generator), made by scripts/package: `hubcache` with its
# runtime libraries as Depends, found by dpkg-shlibdeps from what the binary links, and the debug
# symbols split off into hubcache-dbgsym (so the build must carry -g: RelWithDebInfo, and no
# CPACK_STRIP_FILES, which would strip them before the DEB generator can move them).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME hubcache)
set(CPACK_PACKAGE_VENDOR hubcache)
set(CPACK_PACKAGE_CONTACT "hubcache maintainers <hubcache@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Record, replay and share the downloads ML test suites make (Hugging Face Hub, URLs)")
string(CONCAT CPACK_PACKAGE_DESCRIPTION
       "hubcache records the Hugging Face Hub files and URLs a test suite downloads, replays them\n"
       "offline, bakes and imports them, and gives a CI fleet one S3-backed, size-bounded model\n"
       "cache (serve --remote, mount, preload --publish).")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# fuse3 brings fusermount3 and /etc/fuse.conf (allow_other for mounts by non-root users);
# ca-certificates, the CAs for https to the Hub and to S3.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "fuse3, ca-certificates")
set(CPACK_DEBIAN_DEBUGINFO_PACKAGE ON)
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/cpack)
include(CPack)
