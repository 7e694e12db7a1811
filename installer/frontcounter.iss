; Inno Setup 6 script: a per-machine install of the PyInstaller bundle on Windows.
;
; Build it through installer/build.py, which passes the version from pyproject.toml (the one place
; it is written) and the paths:
;   ISCC /DAppVersion=0.1.0 /DSourceDir=<repo>\dist\frontcounter /DRepoDir=<repo> /O<repo>\dist frontcounter.iss
; Compiling by hand without /DAppVersion stops with an error rather than shipping a wrong version.

#ifndef AppVersion
  #error AppVersion is not defined: build with installer/build.py (it reads pyproject.toml)
#endif
#ifndef RepoDir
  #define RepoDir AddBackslash(SourcePath) + ".."
#endif
#ifndef SourceDir
  #define SourceDir RepoDir + "\dist\frontcounter"
#endif

#define AppName "FrontCounter"
#define AppExe "frontcounter-gui.exe"

[Setup]
; A fixed AppId ties upgrades and the uninstaller to this product; never change it.
AppId={{6F1C2B7E-3A4D-4F0B-9C51-2E8D7A94B1C3}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=FrontCounter contributors
VersionInfoVersion={#AppVersion}
; Per machine: every counter user of the workstation gets it, and only administrators change it.
PrivilegesRequired=admin
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputBaseFilename=FrontCounter-{#AppVersion}-setup
SetupIconFile={#RepoDir}\resources\icons\frontcounter.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName} {#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; Close a running FrontCounter before replacing its files.
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Files]
; The whole onedir bundle. User data never lives here (it is under the data directory), so an
; upgrade or uninstall touches no appointments.
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Comment: "Police station front counter"
Name: "{group}\{#AppName} (demo)"; Filename: "{app}\{#AppExe}"; Parameters: "--demo"; WorkingDir: "{app}"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"

[Run]
Filename: "{app}\{#AppExe}"; Description: "Start {#AppName}"; Flags: nowait postinstall skipifsilent
