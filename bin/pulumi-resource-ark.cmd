@echo off
rem The launcher the Pulumi engine starts on Windows: it looks for pulumi-resource-ark.exe, then .cmd, in the
rem plugin directory. It runs the plugin's Node code, the script beside it, with the node on the PATH.
node "%~dp0pulumi-resource-ark" %*
exit /b %ERRORLEVEL%
