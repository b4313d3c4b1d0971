"""Pump codes: the `scene` a mini-program code printed on a nozzle carries, as pure rules.

A scene is `1.<nozzle>.<station id>`: a format version, the nozzle number and the station id,
in the character set wxacode.getUnlimited allows (at most 32 visible characters of
0-9 A-Z a-z and !#$&'()*+,/:;=?@-._~). It names a place, not a secret: resolving it is public,
and everything it reveals is on the public station page (docs/decisions.md, 2026-12-06).
"""
from __future__ import annotations

import re

SCENE_MAX_CHARS = 32  # wxacode.getUnlimited: "最大32个可见字符"
SCENE_CHARSET = re.compile(r"[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]+")
PAGE = "pages/pump/index"  # the mini-program page the code opens; the scene is its query
CODE_WIDTH_PX = 430  # getUnlimited's default; the printed size is the station's business
_VERSION = "1"
_SCENE = re.compile(r"1\.([1-9][0-9]{0,2})\.([0-9A-Za-z\-_]{1,26})")


def scene_for(station_id: str, nozzle_no: int) -> str | None:
    """The scene of one nozzle, None when the station id cannot be carried in 32 characters."""
    scene = f"{_VERSION}.{nozzle_no}.{station_id}"
    return scene if _SCENE.fullmatch(scene) and len(scene) <= SCENE_MAX_CHARS else None


def parse_scene(scene: str) -> tuple[str, int] | None:
    """(station id, nozzle number) a scene names, None for anything we never printed."""
    match = _SCENE.fullmatch(scene) if isinstance(scene, str) else None
    if match is None or len(scene) > SCENE_MAX_CHARS:
        return None
    return match.group(2), int(match.group(1))


def is_valid_scene(scene: str) -> bool:
    """What WeChat accepts as a scene (the sandbox checks the same rule)."""
    return (isinstance(scene, str) and 0 < len(scene) <= SCENE_MAX_CHARS
            and SCENE_CHARSET.fullmatch(scene) is not None)
