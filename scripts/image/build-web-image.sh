#!/usr/bin/env bash
# The tenant web servers' image: a Debian 13 (trixie) kernel and a busybox initramfs that
# Nova boots directly (AMI style: a Glance "aki" kernel and "ari" ramdisk named by the
# kernel_id / ramdisk_id properties of a tiny "ami" machine image). No bootloader, no
# systemd, no Python: it has to answer HTTP soon even under TCG inside a TCG node. The
# initramfs's /init is web-init.sh (DHCP, metadata service, `#!` user-data, dropbear).
#
# Built from Debian packages only, without root: `apt-get download` with a private apt
# configuration (nothing of the host's apt state is read or written), `dpkg-deb -x`, and
# busybox's own cpio. Packages: the cloud kernel flavour (virtio_net and virtio_blk are
# modules there, loaded by /init with their dependencies), busybox-static (sh, udhcpc,
# wget, httpd, ip, ...) and dropbear with the libraries it links against.
#
# Cached at $OPENSTACK_LAB_HOME/images/web-<key>/ (vmlinuz, initrd.img, disk.raw: 1 MiB
# of zeros, the machine image Nova needs as root disk), <key> being a hash of this script,
# web-init.sh, suite, mirror and architecture. Archive content is not part of the key:
# delete the directory to pick up newer packages.
#
# Prints only the directory on stdout; progress and timings go to stderr.
#
#   build-web-image.sh [--mirror URL] [--suite SUITE] [--print-path]
#
# --print-path prints where the image for these inputs lives, exit 0 if it is complete,
# 1 if not. Environment: NODE_IMAGE_MIRROR, NODE_IMAGE_SUITE (shared with the node image).
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF=$HERE/$(basename "${BASH_SOURCE[0]}")
INIT_SCRIPT=$HERE/web-init.sh
IMAGES_DIR="$OPENSTACK_LAB_HOME/images"

# The host's own Debian source (its mirror or proxy; lib.sh) unless NODE_IMAGE_MIRROR says.
MIRROR=${NODE_IMAGE_MIRROR:-$(host_debian_mirror)}
SUITE=${NODE_IMAGE_SUITE:-trixie}
# The build runs the packages' busybox and dynamic loader: the host's architecture.
ARCH=amd64
MULTIARCH=x86_64-linux-gnu
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
PRINT_PATH=false

# The cloud flavour: built for VMs (virtio, no hardware drivers to probe), so it boots
# faster under TCG than linux-image-amd64. A metapackage: its kernel package is resolved.
KERNEL_PACKAGE=linux-image-cloud-amd64
# dropbear-bin's libraries are listed, not resolved: the build checks with the dynamic
# loader that these packages provide every library dropbear and dropbearkey need.
PACKAGES=(
  busybox-static dropbear-bin
  libc6 libcrypt1 libtomcrypt1 libtommath1 libgmp10 zlib1g
)
# Loaded by /init in this order after their dependencies (modules.dep is not shipped:
# depmod writes it at install time; the modules' own "depends=" is read instead). ext4
# mounts the ext2 file system a learner (and the volume e2e) makes on an attached volume.
MODULES=(virtio_net virtio_blk virtio_scsi sr_mod isofs ext4)

usage() {
  sed -n 's/^#   //p' "$SELF" >&2
  exit "${1:-0}"
}

parse_args() {
  while [ $# -gt 0 ]; do
    case $1 in
      --mirror) MIRROR=${2:?--mirror needs a URL}; shift 2 ;;
      --suite) SUITE=${2:?--suite needs a suite name}; shift 2 ;;
      --print-path) PRINT_PATH=true; shift ;;
      -h | --help) usage 0 ;;
      *) printf 'unknown argument: %s\n' "$1" >&2; usage 2 ;;
    esac
  done
}

image_key() {
  {
    cat "$SELF" "$INIT_SCRIPT"
    printf '%s\n' "$SUITE" "$MIRROR" "$ARCH"
  } | sha256sum | cut -c1-12
}

is_complete() { # dir
  [ -s "$1/vmlinuz" ] && [ -s "$1/initrd.img" ] && [ -f "$1/disk.raw" ]
}

require_tools() {
  local tool
  for tool in apt-get apt-cache apt-config dpkg dpkg-deb gzip xz sha256sum truncate; do
    command -v "$tool" >/dev/null || die "build-web-image: $tool missing"
  done
  [ -f "$KEYRING" ] || die "build-web-image: $KEYRING missing (package debian-archive-keyring)"
  [ "$(dpkg --print-architecture)" = "$ARCH" ] \
    || die "build-web-image: runs the image's $ARCH binaries, so only on an $ARCH host"
}

WORK=
cleanup() {
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then
    rm -rf --one-file-system "$WORK" || note "web image: could not remove all of $WORK"
  fi
}

# apt with its own sources, lists, cache and an empty dpkg status; the host's apt.conf.d
# is not read (docker-clean hooks and the like), only its proxy settings are kept. The
# downloads run as the calling user: apt's _apt cannot enter the private build directory.
apt_() {
  APT_CONFIG="$WORK/apt/apt.conf" "$@"
}

setup_apt() {
  local apt=$WORK/apt
  mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$apt/cache" "$apt/parts" \
    "$apt/preferences.d"
  {
    printf 'deb [signed-by=%s] %s %s main\n' "$KEYRING" "$MIRROR" "$SUITE"
    printf 'deb [signed-by=%s] %s %s-updates main\n' "$KEYRING" "$MIRROR" "$SUITE"
  } >"$apt/sources.list"
  cat >"$apt/apt.conf" <<EOF
Dir::Etc::Main "/dev/null";
Dir::Etc::Parts "$apt/parts";
Dir::Etc::SourceList "$apt/sources.list";
Dir::Etc::SourceParts "$apt/parts";
Dir::Etc::Preferences "$apt/preferences";
Dir::Etc::PreferencesParts "$apt/preferences.d";
Dir::State "$apt";
Dir::State::Lists "$apt/lists";
Dir::State::status "/dev/null";
Dir::Cache "$apt/cache";
Dir::Cache::Archives "$apt/archives";
APT::Architecture "$ARCH";
APT::Architectures { "$ARCH"; };
APT::Sandbox::User "$(id -un)";
Acquire::Languages "none";
Acquire::Retries "3";
EOF
  apt-config dump 2>/dev/null | grep -E '^Acquire::[^ ]+::Proxy' >>"$apt/apt.conf" || true
}

download_packages() { # debs-dir
  local start=$SECONDS depends kernel
  step "web image: packages from $MIRROR $SUITE ($ARCH)"
  setup_apt
  apt_ apt-get -q update >&2
  depends=$(apt_ apt-cache depends --important "$KERNEL_PACKAGE")
  kernel=$(awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }' <<<"$depends")
  [ -n "$kernel" ] || die "web image: $KERNEL_PACKAGE names no kernel package in $SUITE"
  mkdir -p "$1"
  (cd "$1" && apt_ apt-get -q download "$kernel" "${PACKAGES[@]}" >&2)
  note "web image: $kernel and ${#PACKAGES[@]} packages, $(du -sh "$1" | cut -f1), in $((SECONDS - start)) s"
}

extract_packages() { # debs-dir kernel-dir userland-dir
  local start=$SECONDS deb
  mkdir -p "$2" "$3"
  for deb in "$1"/*.deb; do
    case ${deb##*/} in
      linux-image-*) dpkg-deb -x "$deb" "$2" ;;
      *) dpkg-deb -x "$deb" "$3" ;;
    esac
  done
  note "web image: packages extracted in $((SECONDS - start)) s"
}

BUSYBOX=
# bin/ and sbin/ are links into usr/ (merged /usr); every applet is a link to busybox.
install_busybox() { # userland-dir root
  local path dir target
  BUSYBOX=$1/usr/bin/busybox
  [ -x "$BUSYBOX" ] || die "web image: busybox-static has no /usr/bin/busybox"
  install -m 0755 "$BUSYBOX" "$2/usr/bin/busybox"
  while read -r path; do
    case $path in
      bin/* | usr/bin/*) dir=usr/bin target=busybox ;;
      sbin/* | usr/sbin/*) dir=usr/sbin target=../bin/busybox ;;
      *) continue ;;
    esac
    [ -e "$2/$dir/${path##*/}" ] || ln -s "$target" "$2/$dir/${path##*/}"
  done < <("$BUSYBOX" --list-full)
}

# dropbear is dynamically linked: its libraries are found the way ldd does (the packages'
# own loader with --list), and must all come from the extracted packages.
install_dropbear() { # userland-dir root
  local src=$1 root=$2 bin name path libdir=usr/lib/$MULTIARCH
  local loader=$src/$libdir/ld-linux-x86-64.so.2
  [ -x "$loader" ] || die "web image: libc6 has no $libdir/ld-linux-x86-64.so.2"
  install -m 0755 "$src/usr/sbin/dropbear" "$root/usr/sbin/dropbear"
  install -m 0755 "$src/usr/bin/dropbearkey" "$root/usr/bin/dropbearkey"
  for bin in "$src/usr/sbin/dropbear" "$src/usr/bin/dropbearkey"; do
    "$loader" --inhibit-cache --library-path "$src/$libdir:$src/lib/$MULTIARCH" --list "$bin" \
      >"$WORK/libs.txt" || die "web image: ${bin##*/}: $(grep 'not found' "$WORK/libs.txt" | xargs)"
    while read -r name path; do
      case $path in
        "$src"/*) ;;
        *) die "web image: ${bin##*/} needs $name, which none of PACKAGES provides" ;;
      esac
      case $name in
        /*) cp -L "$path" "$root$name" ;; # the loader, at the path in the binary
        *) cp -L "$path" "$root/$libdir/$name" ;;
      esac
    done < <(awk '$2 == "=>" { print $1, $3 }' "$WORK/libs.txt")
  done
}

# The modules in MODULES and what they depend on (their .modinfo "depends="), unpacked
# for busybox insmod, and their load order, dependencies first.
MODULE_ORDER=()
add_module() { # kernel-modules-dir name dest
  local mods=$1 name=${2//-/_} dest=$3 file dep deps
  case " ${MODULE_ORDER[*]} " in *" $name "*) return 0 ;; esac
  if sed 's|.*/||; s|\.ko.*||; s|-|_|g' "$mods/modules.builtin" | grep -qx "$name"; then
    return 0
  fi
  file=$(find "$mods/kernel" \( -name "$name.ko*" -o -name "${name//_/-}.ko*" \) -print -quit)
  [ -n "$file" ] || die "web image: kernel module $name not found"
  case $file in
    *.ko.xz) xz -dc "$file" >"$dest/$name.ko" ;;
    *.ko) cp "$file" "$dest/$name.ko" ;;
    *) die "web image: $file: unknown module compression" ;;
  esac
  deps=$(tr '\0' '\n' <"$dest/$name.ko" | sed -n 's/^depends=//p')
  for dep in ${deps//,/ }; do
    add_module "$mods" "$dep" "$dest"
  done
  MODULE_ORDER+=("$name")
}

install_kernel() { # kernel-dir root out-dir
  local kdir=$1 root=$2 out=$3 versions version module
  versions=("$kdir"/usr/lib/modules/*)
  if [ ${#versions[@]} -ne 1 ] || [ ! -d "${versions[0]}" ]; then
    die "web image: expected one kernel in $KERNEL_PACKAGE"
  fi
  version=${versions[0]##*/}
  install -m 0644 "$kdir/boot/vmlinuz-$version" "$out/vmlinuz"
  mkdir -p "$root/usr/lib/modules/web"
  for module in "${MODULES[@]}"; do
    add_module "${versions[0]}" "$module" "$root/usr/lib/modules/web"
  done
  printf '%s\n' "${MODULE_ORDER[@]}" >"$root/usr/lib/modules/web/order"
  note "web image: kernel $version, modules ${MODULE_ORDER[*]:-(all built in)}"
}

make_root() { # userland-dir root
  local src=$1 root=$2 dir
  for dir in usr/bin usr/sbin "usr/lib/$MULTIARCH" usr/lib64 usr/share/udhcpc etc/dropbear \
    proc sys dev run tmp root www var/log; do
    mkdir -p "$root/$dir"
  done
  for dir in bin sbin lib lib64; do ln -s "usr/$dir" "$root/$dir"; done
  ln -s ../run "$root/var/run"
  chmod 0700 "$root/root"
  chmod 1777 "$root/tmp"
  install -m 0755 "$INIT_SCRIPT" "$root/init"
  ln -s /init "$root/usr/share/udhcpc/default.script"
  # root logs in with its metadata key only: no password ("*"), dropbear -s
  echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
  echo 'root:x:0:' >"$root/etc/group"
  echo 'root:*:1::::::' >"$root/etc/shadow"
  chmod 0600 "$root/etc/shadow"
  echo /bin/sh >"$root/etc/shells"
  echo '127.0.0.1 localhost' >"$root/etc/hosts"
  : >"$root/etc/resolv.conf"
  install_busybox "$src" "$root"
  install_dropbear "$src" "$root"
}

# newc cpio owned by root (busybox's cpio: the host need not have one), gzip.
make_initrd() { # root initrd
  (cd "$1" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort \
    | "$BUSYBOX" cpio -o -H newc -R 0:0 --renumber-inodes --ignore-devno 2>/dev/null) \
    | gzip -9 -n >"$2"
}

build_image() { # target
  local start=$SECONDS out
  mkdir -p "$IMAGES_DIR"
  WORK=$(mktemp -d "$IMAGES_DIR/.build-web.XXXXXX")
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  out=$WORK/out
  mkdir -p "$out" "$WORK/initramfs"
  download_packages "$WORK/debs"
  extract_packages "$WORK/debs" "$WORK/kernel" "$WORK/userland"
  step "web image: initramfs"
  make_root "$WORK/userland" "$WORK/initramfs"
  install_kernel "$WORK/kernel" "$WORK/initramfs" "$out"
  make_initrd "$WORK/initramfs" "$out/initrd.img"
  truncate -s 1M "$out/disk.raw"
  chmod 0644 "$out"/*
  chmod 0755 "$out"
  note "web image: vmlinuz $(du -h "$out/vmlinuz" | cut -f1), initrd.img $(du -h "$out/initrd.img" | cut -f1)"
  rm -rf "$1"
  mv "$out" "$1"
  cleanup
  step "web image: built $1 in $((SECONDS - start)) s"
}

main() {
  parse_args "$@"
  local target
  target="$IMAGES_DIR/web-$(image_key)"
  if [ "$PRINT_PATH" = true ]; then
    echo "$target"
    is_complete "$target"
    return
  fi
  if is_complete "$target"; then
    note "web image: cached, nothing to build"
  else
    require_tools
    build_image "$target"
  fi
  echo "$target"
}

main "$@"
