"""Every path the app uses, from one place. All state lives under the data dir.

The data dir is ``--data-dir``, else ``FRONTCOUNTER_DATA_DIR``, else the platform's user data dir
(platformdirs). Tests point it at a temporary folder so nothing touches the real home.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "FrontCounter"
ENV_DATA_DIR = "FRONTCOUNTER_DATA_DIR"


def default_data_dir() -> Path:
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env).expanduser()
    import platformdirs  # only when neither --data-dir nor the environment names the folder

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


@dataclass(frozen=True)
class Paths:
    data_dir: Path

    @classmethod
    def resolve(cls, data_dir: str | Path | None = None) -> Paths:
        return cls(Path(data_dir).expanduser().resolve() if data_dir else default_data_dir().resolve())

    @property
    def config_file(self) -> Path:
        return self.data_dir / "config.json"

    @property
    def station_db(self) -> Path:
        return self.data_dir / "station.sqlite"

    @property
    def embedded_central_db(self) -> Path:
        return self.data_dir / "central.sqlite"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def window_state_file(self) -> Path:
        return self.data_dir / "window-state.ini"

    def ensure(self) -> None:
        """Create the data dir readable by its owner only."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.data_dir, 0o700)
        self.log_dir.mkdir(exist_ok=True)
        os.chmod(self.log_dir, 0o700)
