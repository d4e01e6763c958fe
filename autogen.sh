#!/bin/sh
# autogen.sh: create ./configure from configure.ac (needs autoconf, automake, autoconf-archive).
set -e
cd "$(dirname "$0")"
autoreconf -fi
