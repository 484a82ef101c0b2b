# Pinned versions of LiveKit's own programs, built with `go install` (see scripts/install.sh).
LIVEKIT_SERVER_VERSION=v1.13.5
LIVEKIT_SIP_VERSION=v1.11.0
LIVEKIT_CLI_VERSION=v2.18.2
