#!/usr/bin/env bash
# Builds the blueteam Debian package with Debian's own tools (dpkg-deb): a self-contained single-file
# binary (trimmed where the framework allows it, compressed), the systemd unit, sysusers and tmpfiles
# entries, /etc/blueteam/blueteam.yaml as a conffile, the man pages blueteam(1) and blueteam.yaml(5),
# bash and zsh completion, and the docs. Prints the .deb's path.
#
#   scripts/package-deb.sh [--arch amd64|arm64] [--version VERSION] [--out DIR] [--binary FILE]
#
# --binary packages an already published binary (the package test builds one binary and packages it
# twice, as two versions, to test an upgrade).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
arch=""; version=""; out="$root/dist"; binary=""
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) arch=$2; shift 2 ;;
    --version) version=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --binary) binary=$2; shift 2 ;;
    *) echo "package-deb: unknown argument '$1' (see the comment at the top of $0)" >&2; exit 2 ;;
  esac
done
[ -n "$arch" ] || arch=$(dpkg --print-architecture)
case "$arch" in
  amd64) rid=linux-x64 ;;
  arm64) rid=linux-arm64 ;;
  *) echo "package-deb: no .NET runtime identifier for Debian architecture '$arch' (amd64 or arm64)" >&2; exit 2 ;;
esac
if [ -z "$version" ]; then
  base=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$root/Directory.Build.props" | head -n1)
  version="${base}+git$(git -C "$root" rev-list --count HEAD 2>/dev/null || echo 0)"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "$binary" ]; then
  echo "== publishing blueteam for $rid (self-contained, single file)" >&2
  # TrimMode=partial trims only the framework assemblies that declare themselves trimmable; ours and
  # the libraries that bind by reflection (YamlDotNet, System.CommandLine) are kept whole.
  # The trimmer's analysis warnings are about those kept assemblies, so they are silenced here.
  dotnet publish "$root/src/BlueTeam.Cli" -c Release -r "$rid" --self-contained -nologo -v q -o "$work/publish" \
    -p:PublishSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true -p:EnableCompressionInSingleFile=true \
    -p:PublishTrimmed=true -p:TrimMode=partial -p:JsonSerializerIsReflectionEnabledByDefault=true \
    -p:SuppressTrimAnalysisWarnings=true -p:DebugType=none >&2
  binary="$work/publish/blueteam"
fi
[ -x "$binary" ] || { echo "package-deb: no executable at $binary" >&2; exit 1; }

# Completion scripts come from the command tree; the framework-dependent build runs on any build machine.
dotnet build "$root/src/BlueTeam.Cli" -c Release -nologo -v q >&2
cli=(dotnet "$root/src/BlueTeam.Cli/bin/Release/net10.0/blueteam.dll")

pkg="$work/pkg"
install -D -m 0755 "$binary" "$pkg/usr/bin/blueteam"
install -d -m 0755 "$pkg/usr/share/blueteam/samples"
install -m 0644 "$root"/samples/* "$pkg/usr/share/blueteam/samples/"
# The unit as installed by the package: the binary is /usr/bin/blueteam.
install -d "$pkg/lib/systemd/system"
sed -e 's:/usr/local/bin/blueteam:/usr/bin/blueteam:g' \
    -e '/^# systemd unit for the blueteam daemon/,/^#   systemctl daemon-reload/c\# systemd unit for the blueteam daemon, installed by the blueteam Debian package.' \
    "$root/packaging/blueteam.service" > "$pkg/lib/systemd/system/blueteam.service"
install -D -m 0644 "$root/packaging/deb/blueteam.sysusers" "$pkg/usr/lib/sysusers.d/blueteam.conf"
install -D -m 0644 "$root/packaging/deb/blueteam.tmpfiles" "$pkg/usr/lib/tmpfiles.d/blueteam.conf"
# The conffile is the reference config with every option commented out: a new install runs on the
# built-in defaults (the host's auth log or journal, SQLite in /var/lib/blueteam, syslog alerts) and
# the administrator uncomments what to change.
install -d "$pkg/etc/blueteam"
{
  echo "# blueteam configuration: every option, commented out, with its default or an example value."
  echo "# Uncomment what you change; 'blueteam config check' validates, 'blueteam config show' prints"
  echo "# the effective values; 'systemctl reload blueteam' applies rules, routes and channels."
  echo "# See blueteam.yaml(5)."
  sed -e 's/^\([^#]\)/# \1/' "$root/packaging/blueteam.yaml"
} > "$pkg/etc/blueteam/blueteam.yaml"
chmod 0640 "$pkg/etc/blueteam/blueteam.yaml"
install -d "$pkg/usr/share/man/man1" "$pkg/usr/share/man/man5"
gzip -9n < "$root/packaging/deb/blueteam.1" > "$pkg/usr/share/man/man1/blueteam.1.gz"
gzip -9n < "$root/packaging/deb/blueteam.yaml.5" > "$pkg/usr/share/man/man5/blueteam.yaml.5.gz"
install -d "$pkg/usr/share/bash-completion/completions" "$pkg/usr/share/zsh/vendor-completions"
"${cli[@]}" completion bash > "$pkg/usr/share/bash-completion/completions/blueteam"
"${cli[@]}" completion zsh > "$pkg/usr/share/zsh/vendor-completions/_blueteam"
install -d "$pkg/usr/share/doc/blueteam"
install -m 0644 "$root/README.md" "$root"/docs/*.md "$pkg/usr/share/doc/blueteam/"
install -m 0644 "$root/LICENSE" "$pkg/usr/share/doc/blueteam/copyright"

install -d "$pkg/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" "$root/packaging/deb/control" > "$pkg/DEBIAN/control"
install -m 0644 "$root/packaging/deb/conffiles" "$pkg/DEBIAN/conffiles"
install -m 0755 "$root/packaging/deb/postinst" "$root/packaging/deb/prerm" "$root/packaging/deb/postrm" "$pkg/DEBIAN/"
(cd "$pkg" && find . -path ./DEBIAN -prune -o -type f ! -path './etc/*' -printf '%P\0' | sort -z | xargs -0 md5sum) > "$pkg/DEBIAN/md5sums"

mkdir -p "$out"
deb="$out/blueteam_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >&2
echo "$deb"
