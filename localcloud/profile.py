"""Realistic durations of status transitions (seconds at --speed 1), divided by the speed factor.

Figures: VPC/vSwitch creation completes in a few seconds; an ECS instance goes Pending -> Starting ->
Running in tens of seconds (boot); stops take ~10 s; a disk creates in seconds and detaches in up to a
minute ("about a minute", DetachDisk docs) but usually ~10 s; a CLB listener starts in a couple of
seconds. Released resources vanish after a short release phase. Chosen from the reference docs and
Terraform's wait timeouts; recorded in CHOICES.md.
"""

from __future__ import annotations

DURATIONS: dict[str, float] = {
    "vpc.create": 3.0,  # Pending -> Available
    "vswitch.create": 3.0,  # Pending -> Available
    "vswitch.modify": 1.0,  # ModifyVSwitchAttribute: Pending -> Available
    "vpc.delete": 2.0,
    "vswitch.delete": 2.0,
    "instance.pending": 8.0,  # Pending -> Starting (scheduling, disks)
    "instance.starting": 25.0,  # Starting -> Running (boot)
    "instance.stopping": 10.0,  # Stopping -> Stopped
    "instance.release": 5.0,  # delete -> gone
    # After an instance is gone its ENI is still being released: its security group, vSwitch and VPC answer
    # DependencyViolation meanwhile (minutes on the real cloud; Terraform allows 10 min for those deletes).
    "dependency.linger": 90.0,
    "disk.create": 5.0,  # Creating -> Available
    "disk.attach": 5.0,  # Attaching -> In_use
    "disk.detach": 10.0,  # Detaching -> Available
    "slb.create": 2.0,
    "listener.start": 2.0,  # starting -> running
    "listener.stop": 1.0,
}


class Clock:
    """Wall-clock time shifted by a virtual offset; transition delays scaled by the speed factor.

    `advance(seconds)` moves the emulator's clock forward (control API) so tests never sleep.
    `instant=True` makes every transition due at once (it completes on the next request).
    """

    def __init__(self, speed: float = 1.0, instant: bool = False, now_fn=None):
        import time

        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.speed = speed
        self.instant = instant
        self.offset = 0.0
        self._now = now_fn or time.time

    def now(self) -> float:
        return self._now() + self.offset

    def delay(self, key: str) -> float:
        if self.instant:
            return 0.0
        return DURATIONS[key] / self.speed

    def advance(self, seconds: float) -> None:
        self.offset += max(0.0, seconds)
