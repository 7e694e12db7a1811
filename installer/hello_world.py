"""The floor for the bundle size: a PySide6 (QtWidgets) hello-world, frozen as FrontCounter is."""

import sys

from PySide6.QtWidgets import QApplication, QLabel

if __name__ == "__main__":
    app = QApplication(sys.argv)
    label = QLabel("Hello")
    label.show()
    if "--self-check" in sys.argv:
        print("hello-world ok")
        raise SystemExit(0)
    raise SystemExit(app.exec())
