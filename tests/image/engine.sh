# Sourced by build.sh and image-test.sh: picks the container engine and installs what is missing.
#
# QUILT_MCP_IMAGE_ENGINE=podman|docker overrides the choice; by default docker when a docker
# daemon answers, else podman. Podman runs the way these machines need it (vfs storage,
# cgroupfs, runc, host network, and a containers.conf with `default_ulimits = []` through
# CONTAINERS_CONF); QUILT_MCP_PODMAN_FLAGS and QUILT_MCP_PODMAN_RUN_FLAGS override the flags
# on a machine where podman already works its own way (e.g. overlay storage).
# Sets: ENGINE (the command, as an array), ENGINE_NAME, RUN_FLAGS (for `run`).

# Installs Debian packages when running as root with apt (as CI does); otherwise says what to install.
apt_install() {
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "== apt-get install $*"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    else
        echo "missing: $* (on Debian: sudo apt-get install $*)" >&2
        return 1
    fi
}

ENGINE_NAME="${QUILT_MCP_IMAGE_ENGINE:-}"
if [ -z "$ENGINE_NAME" ]; then
    if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
        ENGINE_NAME=docker
    else
        ENGINE_NAME=podman
    fi
fi
case "$ENGINE_NAME" in
podman)
    if ! command -v podman >/dev/null || ! command -v runc >/dev/null; then
        apt_install podman runc
    fi
    if [ -z "${CONTAINERS_CONF:-}" ]; then
        mkdir -p target/image
        printf '[containers]\ndefault_ulimits = []\n' >target/image/containers.conf
        export CONTAINERS_CONF="$PWD/target/image/containers.conf"
    fi
    read -r -a podman_flags <<<"${QUILT_MCP_PODMAN_FLAGS:---storage-driver vfs --cgroup-manager=cgroupfs}"
    read -r -a RUN_FLAGS <<<"${QUILT_MCP_PODMAN_RUN_FLAGS:---runtime runc --network host}"
    ENGINE=(podman "${podman_flags[@]}")
    ;;
docker)
    ENGINE=(docker)
    RUN_FLAGS=(--network host)
    ;;
*)
    echo "QUILT_MCP_IMAGE_ENGINE=$ENGINE_NAME: expected podman or docker" >&2
    exit 2
    ;;
esac
