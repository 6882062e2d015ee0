@echo off
rem Builds enrolment-@UAI@.ppkg, the provisioning package of school @UAI@, from customizations.xml with the command
rem line of Windows Configuration Designer (Windows ADK, feature "Configuration Designer"). Run it from an elevated
rem command prompt, in @FOLDER@ (the folder customizations.xml names). docs/operations.md, "Provisioning package".
rem ProvisioningCommands are a setting of Windows desktop editions: hence the desktop settings store.
setlocal
set "HERE=%~dp0"
if /i not "%HERE%"=="@FOLDER@\" goto wrongfolder
set "ICD_DIR=%ProgramFiles(x86)%\Windows Kits\10\Assessment and Deployment Kit\Imaging and Configuration Designer\x86"
if not exist "%ICD_DIR%\ICD.exe" goto noicd
"%ICD_DIR%\ICD.exe" /Build-ProvisioningPackage /CustomizationXML:"%HERE%customizations.xml" /PackagePath:"%HERE%enrolment-@UAI@.ppkg" /StoreFile:"%ICD_DIR%\Microsoft-Desktop-Provisioning.dat" +Overwrite
if errorlevel 1 goto failed
echo Built / construit : %HERE%enrolment-@UAI@.ppkg
exit /b 0

:wrongfolder
echo This folder must be @FOLDER@ (customizations.xml names the files there): move it, then run again.
echo Ce dossier doit etre @FOLDER@ (customizations.xml y designe les fichiers) : deplacez-le, puis relancez.
exit /b 2

:noicd
echo Windows Configuration Designer (ICD.exe) not found: install the Windows ADK with its "Configuration Designer" feature.
echo Windows Configuration Designer (ICD.exe) introuvable : installez le Windows ADK avec "Configuration Designer".
exit /b 3

:failed
echo ICD.exe failed: see its output above. / ICD.exe a echoue : voir ci-dessus.
exit /b 1
