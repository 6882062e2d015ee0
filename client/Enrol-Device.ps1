<#
.SYNOPSIS
    Enrols this Windows device in the Sarthe school device programme at first boot, then waits until Windows
    Autopilot is ready for it. Inscrit cet appareil Windows au programme des collèges de la Sarthe au premier
    démarrage, puis attend qu'Autopilot soit prêt pour lui.

.DESCRIPTION
    Runs in Windows PowerShell 5.1 (the PowerShell of OOBE and of provisioning packages) and in PowerShell 7. Installs
    no module and holds no Graph secret: it reads its school, endpoint and enrolment key from enrolment.config.json
    beside it (the bundle handed out with the school's key), and talks only to the enrolment backend.

    1. Already provisioned by Autopilot (an Autopilot profile is on the device)? Nothing to do: exit 0.
    2. Reads the serial number (Win32_BIOS), the Autopilot hardware hash (MDM_DevDetail_Ext01, as Microsoft's
       Get-WindowsAutopilotInfo does), manufacturer and model (Win32_ComputerSystem), the device type from the chassis
       and an optional asset tag.
    3. Checks that GET /api/health answers this service's own JSON ({"status":"healthy"}, no redirect followed) and
       that this device's clock is within 300 s of the backend's (its Date header). An HTML page, a redirect or any
       other answer is something between the device and the service (a web filter, a captive portal): exit 22.
    4. POST /api/enrolments, signed with the school's key, retried with back-off on network errors, 5xx and 429.
    5. GET /api/enrolments/{serialNumber} (signed) at the pace the backend suggests (Retry-After) until the device is
       ready to provision (registered in Autopilot with its deployment profile assigned), fails, or time runs out.
    6. With -Restart, asks the provisioning engine for a restart once the device is ready: exit code 3010, the code a
       ProvisioningCommands command returns for "success, restart" (never before: a restart before the profile is
       assigned leaves OOBE with no profile, and restarting OOBE too often sends it to recovery), once per device.

    One deadline covers steps 3 to 5: timeoutMinutes (25, at most 28), counted from the start of the script, so that the
    whole run ends within the 30 minutes Windows gives a provisioning package's commands at OOBE.

    Device type, from Win32_SystemEnclosure.ChassisTypes (SMBIOS chassis types, DMTF DSP0134 7.4.1; the values of
    Microsoft's Win32_SystemEnclosure page), the first type that says something:
        laptop   8 Portable, 9 Laptop, 10 Notebook, 14 Sub Notebook, 31 Convertible
        tablet   11 Hand Held, 30 Tablet, 32 Detachable
        desktop  3 Desktop, 4 Low Profile Desktop, 5 Pizza Box, 6 Mini Tower, 7 Tower, 13 All in One, 15 Space-saving,
                 16 Lunch Box, 24 Sealed-case PC, 34 Embedded PC, 35 Mini PC, 36 Stick PC
    then, when no chassis type says (1 Other, 2 Unknown, ...), Win32_ComputerSystem.PCSystemTypeEx (or PCSystemType):
        1 Desktop, 3 Workstation, 6 Appliance PC -> desktop; 2 Mobile -> laptop; 8 Slate (PCSystemTypeEx) -> tablet.
    "deviceType" in the configuration ("laptop", "desktop", "tablet") overrides the detection; "auto" (the default)
    detects. A device whose type cannot be told stops with exit code 11.

    Log: <LogDirectory>\enrol-device.log, by default %ProgramData%\Sarthe\Enrolment\enrol-device.log
    (C:\ProgramData\Sarthe\Enrolment\enrol-device.log; at OOBE, Shift+F10 then notepad that file).

    Exit codes (the provisioning package treats 0 as success):
         0  Ready to provision (restarted with -Restart), or already provisioned by Autopilot, or -DryRun done.
         1  Unexpected error (see the log).
        10  Configuration file missing or invalid.
        11  The device's serial number, hardware hash or type cannot be read (run it as administrator or SYSTEM).
        20  This device's clock is more than 300 s from the backend's: set the date and time, then run again.
        21  The backend cannot be reached, or stays busy, after every retry or when the time allowed ran out (network,
            proxy, firewall).
        22  A web filter or captive portal answered instead of the backend (an HTML page, a redirect, a filter's 403).
        30  Refused (400/413/415): the data sent, or the school, is invalid.
        31  Refused (401): the key is not a valid key of this school (another school's package, a key rotated out).
        32  Refused (403): the serial number is not in the purchase inventory.
        33  Refused (409): the serial number is enrolled at another school.
        34  The backend no longer knows this device at this school (404 while waiting).
        40  Registration in Autopilot failed (Intune's reason in the log); the backend will not retry it by itself.
        41  Enrolled, but not ready when the time allowed ran out: run the script again later.
        42  Registered, but the deployment profile assignment failed.
      3010  Ready to provision, with -Restart: the provisioning engine restarts the device (ReturnCodeRestart).

.PARAMETER ConfigPath
    The configuration file. Default: enrolment.config.json beside this script.
.PARAMETER Restart
    Once the device is ready to provision, exit 3010 so that the provisioning package restarts it (at most once per
    device). By hand (Shift+F10), run without it and restart when the script says the device is ready.
.PARAMETER Quiet
    Write to the log file only (a provisioning package must not write to the console).
.PARAMETER DryRun
    Read and show what would be sent (the hash as its length), contact nothing, exit 0.
.PARAMETER TimeoutMinutes
    The time allowed for the whole run (health check, enrolment and the wait), from the start of the script. Default:
    timeoutMinutes in the configuration, else 25; at most 28 (a provisioning package's commands must finish within
    30 minutes at OOBE).
.PARAMETER LogDirectory
    Where enrol-device.log goes. Default: %ProgramData%\Sarthe\Enrolment.
.PARAMETER AssetTag
    The device's asset tag, when the firmware does not hold it (Win32_SystemEnclosure.SMBIOSAssetTag).
.EXAMPLE
    powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\Enrol-Device.ps1 -Restart
#>
[CmdletBinding()]
param(
    [string]$ConfigPath = '',
    [switch]$Restart,
    [switch]$Quiet,
    [switch]$DryRun,
    [double]$TimeoutMinutes = 0,
    [string]$LogDirectory = '',
    [string]$AssetTag = ''
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'
# Windows PowerShell 5.1 does not load System.Net.Http by itself: before any of its types is named (the catch clauses
# below name HttpRequestException), or 5.1 stops with "Unable to find type".
Add-Type -AssemblyName System.Net.Http

$ScriptVersion = '1.1.0'
$AutopilotRegistryPath = 'HKLM:\SOFTWARE\Microsoft\Provisioning\Diagnostics\AutoPilot'
$TimestampToleranceSeconds = 300
# Microsoft ("Use a script to install a desktop app in provisioning packages", Remarks): 30 minutes for all scripts at OOBE.
$MaximumTimeoutMinutes = 28
$RequestTimeoutSeconds = 30
$Utf8NoBom = New-Object System.Text.UTF8Encoding $false

# ---------------------------------------------------------------------------------------------------------------------
# Log and outcome
# ---------------------------------------------------------------------------------------------------------------------

function Get-UtcNow {
    # Get-Date, not [DateTime]::UtcNow: the clock a technician sets, and one a test can stand in for.
    (Get-Date).ToUniversalTime()
}

function Get-DefaultLogDirectory {
    if ($env:ProgramData) { return (Join-Path $env:ProgramData 'Sarthe\Enrolment') }
    return (Join-Path ([System.IO.Path]::GetTempPath()) 'Sarthe-Enrolment')
}

function Write-Log {
    param([string]$Message, [string]$Level = 'INFO')
    $line = '{0} {1,-5} {2}' -f (Get-UtcNow).ToString('yyyy-MM-ddTHH:mm:ssZ'), $Level, $Message
    [System.IO.File]::AppendAllText($script:LogPath, $line + "`r`n", $Utf8NoBom)
    if (-not $Quiet) { Write-Host $line }
}

function Exit-WithOutcome {
    # The last lines a technician reads: the code, then the same sentence in French and in English.
    param([int]$Code, [string]$French, [string]$English)
    $level = 'INFO'
    if ($Code -ne 0 -and $Code -ne 3010) { $level = 'ERROR' }
    Write-Log ('FR : ' + $French) $level
    Write-Log ('EN : ' + $English) $level
    Write-Log ('Code de sortie / exit code: ' + $Code) $level
    exit $Code
}

# ---------------------------------------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------------------------------------

function Get-Field {
    # A member of a parsed JSON object, or $Default when absent (strict mode refuses absent members).
    param($Object, [string]$Name, $Default = $null)
    if ($null -ne $Object -and $Object.PSObject.Properties[$Name]) { return $Object.$Name }
    return $Default
}

function Remove-JsonComment {
    # The configuration as strict JSON (RFC 8259) in both PowerShells: // and /* */ comments and trailing commas are
    # taken out here, outside strings. PowerShell 7's ConvertFrom-Json accepts them, Windows PowerShell 5.1's refuses
    # them: without this step a file someone annotated would work in the tests (7) and fail at OOBE (5.1).
    param([string]$Text)
    $out = New-Object System.Text.StringBuilder
    $lastComma = -1
    $i = 0
    $n = $Text.Length
    while ($i -lt $n) {
        $c = $Text[$i]
        $next = [char]0
        if ($i + 1 -lt $n) { $next = $Text[$i + 1] }
        if ($c -eq '"') {
            # A string, copied as it is up to its closing quote (a backslash escapes the character after it).
            $end = $i + 1
            while ($end -lt $n -and $Text[$end] -ne '"') {
                if ($Text[$end] -eq '\') { $end++ }
                $end++
            }
            $end = [Math]::Min($n - 1, $end)
            [void]$out.Append($Text.Substring($i, $end - $i + 1))
            $lastComma = -1
            $i = $end + 1
        }
        elseif ($c -eq '/' -and $next -eq '/') {
            while ($i -lt $n -and $Text[$i] -ne "`n") { $i++ }
        }
        elseif ($c -eq '/' -and $next -eq '*') {
            $close = $Text.IndexOf('*/', $i + 2)
            if ($close -lt 0) { $i = $n } else { $i = $close + 2 }
        }
        else {
            if (($c -eq '}' -or $c -eq ']') -and $lastComma -ge 0) { [void]$out.Remove($lastComma, 1) }
            if ($c -eq ',') { $lastComma = $out.Length }
            elseif (-not [char]::IsWhiteSpace($c)) { $lastComma = -1 }
            [void]$out.Append($c)
            $i++
        }
    }
    return $out.ToString()
}

function Read-Configuration {
    param([string]$Path)
    if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) {
        Exit-WithOutcome 10 "Fichier de configuration introuvable : $Path. Il est livré avec le script dans le lot du collège." `
            "Configuration file not found: $Path. It comes with the script in the school's bundle."
    }

    $text = [System.IO.File]::ReadAllText($Path, [System.Text.Encoding]::UTF8)
    $parsed = $null
    try {
        $parsed = (Remove-JsonComment $text) | ConvertFrom-Json
    }
    catch [System.ArgumentException] {
        Exit-WithOutcome 10 "Fichier de configuration illisible (JSON invalide) : $Path." "Configuration file is not valid JSON: $Path."
    }

    $endpoint = [string](Get-Field $parsed 'endpoint' '')
    $endpoint = $endpoint.Trim().TrimEnd('/')
    if ($endpoint -match '/api$') { $endpoint = $endpoint.Substring(0, $endpoint.Length - 4) }
    $endpointUri = $null
    if (-not [Uri]::TryCreate($endpoint, [UriKind]::Absolute, [ref]$endpointUri) -or $endpointUri.Scheme -notin @('https', 'http')) {
        Exit-WithOutcome 10 "« endpoint » doit être l'adresse du service (https://...) : '$endpoint'." "'endpoint' must be the service's address (https://...): '$endpoint'."
    }

    $uai = ([string](Get-Field $parsed 'schoolUai' '')).Trim().ToUpperInvariant()
    if ($uai -notmatch '^[0-9]{7}[A-Z]$' -or $uai[7] -ne 'ABCDEFGHJKLMNPRSTUVWXYZ'[[int]$uai.Substring(0, 7) % 23]) {
        Exit-WithOutcome 10 "« schoolUai » doit être l'UAI du collège (7 chiffres et une lettre) : '$uai'." "'schoolUai' must be the school's UAI (7 digits and a letter): '$uai'."
    }

    $key = $null
    try {
        $key = [Convert]::FromBase64String([string](Get-Field $parsed 'key' ''))
    }
    catch [System.FormatException] {
        $key = $null
    }
    if ($null -eq $key -or $key.Length -ne 32) {
        Exit-WithOutcome 10 "« key » doit être la clé d'inscription du collège (32 octets en base64)." "'key' must be the school's enrolment key (32 bytes, base64)."
    }

    $deviceType = ([string](Get-Field $parsed 'deviceType' 'auto')).Trim().ToLowerInvariant()
    if ($deviceType -notin @('auto', 'laptop', 'desktop', 'tablet')) {
        Exit-WithOutcome 10 "« deviceType » doit être auto, laptop, desktop ou tablet : '$deviceType'." "'deviceType' must be auto, laptop, desktop or tablet: '$deviceType'."
    }

    $timeout = [double](Get-Field $parsed 'timeoutMinutes' 25)
    if ($TimeoutMinutes -gt 0) { $timeout = $TimeoutMinutes }
    if ($timeout -le 0 -or $timeout -gt $MaximumTimeoutMinutes) {
        Exit-WithOutcome 10 "« timeoutMinutes » doit être entre 0 et $MaximumTimeoutMinutes min (Windows donne 30 min aux commandes d'un paquet pendant l'OOBE) : $timeout." `
            "'timeoutMinutes' must be more than 0 and at most $MaximumTimeoutMinutes min (Windows gives a package's commands 30 min at OOBE): $timeout."
    }

    [pscustomobject]@{
        Endpoint         = $endpoint
        SchoolUai        = $uai
        Key              = $key
        KeyId            = [string](Get-Field $parsed 'keyId' '')
        DeviceType       = $deviceType
        TimeoutMinutes   = $timeout
        MaxAttempts      = [Math]::Max(1, [int](Get-Field $parsed 'maxAttempts' 8))
        RetryBaseSeconds = [Math]::Max(1, [int](Get-Field $parsed 'retryBaseSeconds' 5))
        MaxWaitSeconds   = [Math]::Max(1, [int](Get-Field $parsed 'maxWaitSeconds' 300))
        Proxy            = [string](Get-Field $parsed 'proxy' '')
    }
}

# ---------------------------------------------------------------------------------------------------------------------
# The device
# ---------------------------------------------------------------------------------------------------------------------

function Get-AutopilotTenant {
    # Autopilot writes the tenant of the profile it downloaded here; Autopilot Manager skips such a device too.
    $values = Get-ItemProperty -Path $AutopilotRegistryPath -Name 'CloudAssignedTenantId' -ErrorAction SilentlyContinue
    $tenant = [string](Get-Field $values 'CloudAssignedTenantId' '')
    return $tenant.Trim()
}

function Get-Cim {
    # One CIM read; $null (logged) when the class cannot be read, rather than a stop.
    param([string]$ClassName, [string]$Namespace = 'root/cimv2', [string]$Filter = '')
    $problems = $null
    $found = $null
    if ($Filter) {
        $found = Get-CimInstance -Namespace $Namespace -ClassName $ClassName -Filter $Filter -ErrorAction SilentlyContinue -ErrorVariable problems
    }
    else {
        $found = Get-CimInstance -Namespace $Namespace -ClassName $ClassName -ErrorAction SilentlyContinue -ErrorVariable problems
    }
    if ($problems) { Write-Log ("Lecture CIM / CIM read {0}\{1}: {2}" -f $Namespace, $ClassName, ($problems | Select-Object -First 1)) 'WARN' }
    return ($found | Select-Object -First 1)
}

function ConvertTo-DeviceType {
    # Chassis types first (the first one that says), then PCSystemTypeEx / PCSystemType; $null when nothing says.
    param([int[]]$ChassisTypes, $PcSystemType)
    $laptop = @(8, 9, 10, 14, 31)
    $tablet = @(11, 30, 32)
    $desktop = @(3, 4, 5, 6, 7, 13, 15, 16, 24, 34, 35, 36)
    foreach ($chassis in @($ChassisTypes)) {
        if ($laptop -contains $chassis) { return 'laptop' }
        if ($tablet -contains $chassis) { return 'tablet' }
        if ($desktop -contains $chassis) { return 'desktop' }
    }
    switch ([int]$PcSystemType) {
        1 { return 'desktop' }
        2 { return 'laptop' }
        3 { return 'desktop' }
        6 { return 'desktop' }
        8 { return 'tablet' }
    }
    return $null
}

function Get-CleanText {
    # The contract's rule for manufacturer, model and asset tag: 1-64 characters, no control or format characters.
    param([string]$Text)
    if ($null -eq $Text) { return '' }
    $clean = ($Text -replace '[\p{Cc}\p{Cf}]', '').Trim()
    if ($clean.Length -gt 64) { $clean = $clean.Substring(0, 64).Trim() }
    return $clean
}

function Get-DeviceIdentity {
    param($Config)
    $bios = Get-Cim -ClassName 'Win32_BIOS'
    $system = Get-Cim -ClassName 'Win32_ComputerSystem'
    $enclosure = Get-Cim -ClassName 'Win32_SystemEnclosure'
    # The hardware hash as Microsoft's Get-WindowsAutopilotInfo reads it (MDM bridge; administrator or SYSTEM only).
    $devDetail = Get-Cim -Namespace 'root/cimv2/mdm/dmmap' -ClassName 'MDM_DevDetail_Ext01' -Filter "InstanceID='Ext' AND ParentID='./DevDetail'"

    $serial = ([string](Get-Field $bios 'SerialNumber' '')).Trim()
    if ($serial -notmatch '^[A-Za-z0-9._-]{1,64}$' -or $serial -notmatch '[A-Za-z0-9]') {
        Exit-WithOutcome 11 "Numéro de série illisible ou invalide (Win32_BIOS) : '$serial'. Appelez le service informatique." `
            "Serial number unreadable or invalid (Win32_BIOS): '$serial'. Call the IT service."
    }

    $hash = ([string](Get-Field $devDetail 'DeviceHardwareData' '')).Trim()
    if (-not $hash) {
        Exit-WithOutcome 11 "Empreinte matérielle Autopilot illisible (MDM_DevDetail_Ext01) : lancez le script en administrateur (ou SYSTEM)." `
            "Autopilot hardware hash unreadable (MDM_DevDetail_Ext01): run the script as administrator (or SYSTEM)."
    }

    $type = $Config.DeviceType
    $chassisTypes = @(@(Get-Field $enclosure 'ChassisTypes' @()) | Where-Object { $null -ne $_ } | ForEach-Object { [int]$_ })
    $pcSystemType = Get-Field $system 'PCSystemTypeEx' $null
    if ($null -eq $pcSystemType -or [int]$pcSystemType -eq 0) { $pcSystemType = Get-Field $system 'PCSystemType' 0 }
    if ($type -eq 'auto') {
        $type = ConvertTo-DeviceType -ChassisTypes $chassisTypes -PcSystemType $pcSystemType
        if (-not $type) {
            Exit-WithOutcome 11 ("Type d'appareil indéterminé (châssis {0}, PCSystemType {1}) : indiquez « deviceType » dans la configuration." -f ($chassisTypes -join ','), $pcSystemType) `
                ("Device type unknown (chassis {0}, PCSystemType {1}): set 'deviceType' in the configuration." -f ($chassisTypes -join ','), $pcSystemType)
        }
    }

    $tag = Get-CleanText $AssetTag
    if (-not $tag) {
        $tag = Get-CleanText ([string](Get-Field $enclosure 'SMBIOSAssetTag' ''))
        # Firmware placeholders are no asset tag.
        if ($tag -match '^(No Asset (Tag|Information)|Default string|To Be Filled By O\.E\.M\.|None|0+)$') { $tag = '' }
    }

    $manufacturer = Get-CleanText ([string](Get-Field $system 'Manufacturer' ''))
    $model = Get-CleanText ([string](Get-Field $system 'Model' ''))
    if (-not $manufacturer) { $manufacturer = 'Unknown' }
    if (-not $model) { $model = 'Unknown' }

    [pscustomobject]@{
        SerialNumber = $serial.ToUpperInvariant()
        DeviceType   = $type
        Manufacturer = $manufacturer
        Model        = $model
        AssetTag     = $tag
        HardwareHash = $hash
        ChassisTypes = ($chassisTypes -join ',')
    }
}

# ---------------------------------------------------------------------------------------------------------------------
# HTTP and the signature
# ---------------------------------------------------------------------------------------------------------------------

function Get-SecondsLeft {
    # Of the time allowed for the whole run, measured on a stopwatch: the device's clock may be set (or synchronised)
    # while the script runs.
    return ([double]$script:TimeoutMinutes * 60 - $script:RunTime.Elapsed.TotalSeconds)
}

function New-HttpClient {
    param($Config)
    # Windows PowerShell on .NET Framework 4.x may not offer TLS 1.2 unless asked.
    [System.Net.ServicePointManager]::SecurityProtocol = [System.Net.ServicePointManager]::SecurityProtocol -bor [System.Net.SecurityProtocolType]::Tls12
    $handler = New-Object System.Net.Http.HttpClientHandler
    # This service never redirects: a redirect is a captive portal or a filter, and is reported, never followed.
    $handler.AllowAutoRedirect = $false
    if ($Config.Proxy) {
        $handler.Proxy = New-Object System.Net.WebProxy $Config.Proxy
        $handler.UseProxy = $true
    }
    $client = New-Object System.Net.Http.HttpClient $handler
    $client.Timeout = [TimeSpan]::FromSeconds($RequestTimeoutSeconds)
    return $client
}

function Get-Signature {
    # "v1=" + lowercase hex of HMAC-SHA256(key, ASCII(timestamp) + "." + content): hex by BitConverter, which .NET
    # Framework 4.x has ([Convert]::ToHexString is .NET 5+).
    param([byte[]]$Key, [string]$Timestamp, [byte[]]$Content)
    $prefix = [System.Text.Encoding]::ASCII.GetBytes($Timestamp + '.')
    $signed = New-Object byte[] ($prefix.Length + $Content.Length)
    [Array]::Copy($prefix, 0, $signed, 0, $prefix.Length)
    [Array]::Copy($Content, 0, $signed, $prefix.Length, $Content.Length)
    $hmac = [System.Security.Cryptography.HMACSHA256]::new($Key)
    try {
        $mac = $hmac.ComputeHash($signed)
    }
    finally {
        $hmac.Dispose()
    }
    return 'v1=' + ([BitConverter]::ToString($mac) -replace '-', '').ToLowerInvariant()
}

function Get-UnixTime {
    return ([DateTimeOffset](Get-UtcNow)).ToUnixTimeSeconds().ToString([System.Globalization.CultureInfo]::InvariantCulture)
}

function Get-ErrorText {
    # Every message down the chain of inner exceptions: .NET Framework's HttpClient says only "An error occurred while
    # sending the request."; the cause (name not resolved, connection refused, certificate refused...) is inside.
    param([System.Exception]$Exception)
    $messages = New-Object System.Collections.Generic.List[string]
    $e = $Exception
    while ($null -ne $e) {
        # PowerShell's own wrapper ('Exception calling "GetResult"...') repeats the message under it.
        if ($e -isnot [System.Management.Automation.MethodInvocationException] -and -not $messages.Contains($e.Message)) { $messages.Add($e.Message) }
        $e = $e.InnerException
    }
    return ($messages -join ' -> ')
}

function Invoke-Http {
    # One request, ended at the deadline at the latest. Network failures (no connection, reset, timeout) come back as
    # Status 0 with every inner message, never as a stop.
    param([string]$Method, [Uri]$Uri, [hashtable]$Headers = @{}, [byte[]]$Body = $null)
    $request = [System.Net.Http.HttpRequestMessage]::new([System.Net.Http.HttpMethod]::new($Method), $Uri)
    foreach ($name in $Headers.Keys) { [void]$request.Headers.TryAddWithoutValidation($name, [string]$Headers[$name]) }
    if ($null -ne $Body) {
        $request.Content = [System.Net.Http.ByteArrayContent]::new($Body)
        $request.Content.Headers.ContentType = [System.Net.Http.Headers.MediaTypeHeaderValue]::Parse('application/json')
    }

    $seconds = [Math]::Max([double]1, [Math]::Min([double]$RequestTimeoutSeconds, [double](Get-SecondsLeft)))
    $cancel = [System.Threading.CancellationTokenSource]::new([TimeSpan]::FromSeconds($seconds))
    $response = $null
    try {
        $response = $script:Http.SendAsync($request, $cancel.Token).GetAwaiter().GetResult()
        $text = $response.Content.ReadAsStringAsync().GetAwaiter().GetResult()
        $retryAfter = $null
        if ($null -ne $response.Headers.RetryAfter) {
            if ($null -ne $response.Headers.RetryAfter.Delta) { $retryAfter = [int][Math]::Ceiling($response.Headers.RetryAfter.Delta.TotalSeconds) }
            elseif ($null -ne $response.Headers.RetryAfter.Date) { $retryAfter = [int][Math]::Ceiling(($response.Headers.RetryAfter.Date - [DateTimeOffset](Get-UtcNow)).TotalSeconds) }
        }
        $mediaType = ''
        if ($null -ne $response.Content.Headers.ContentType) { $mediaType = [string]$response.Content.Headers.ContentType.MediaType }
        $location = ''
        if ($null -ne $response.Headers.Location) { $location = [string]$response.Headers.Location }
        return [pscustomobject]@{ Status = [int]$response.StatusCode; Text = $text; RetryAfter = $retryAfter; Date = $response.Headers.Date; Error = ''; MediaType = $mediaType; Location = $location }
    }
    catch [System.Net.Http.HttpRequestException], [System.OperationCanceledException], [System.IO.IOException], [System.Net.WebException] {
        return [pscustomobject]@{ Status = 0; Text = ''; RetryAfter = $null; Date = $null; Error = (Get-ErrorText $_.Exception); MediaType = ''; Location = '' }
    }
    finally {
        $request.Dispose()
        $cancel.Dispose()
        if ($null -ne $response) { $response.Dispose() }
    }
}

function Test-ServiceAnswer {
    # This service answers JSON (application/json, problem+json for errors) and never redirects: an HTML page, a
    # redirect or another type came from something between the device and the service.
    param($Answer)
    if ($Answer.Status -ge 300 -and $Answer.Status -lt 400) { return $false }
    return ($Answer.MediaType -eq 'application/json' -or $Answer.MediaType -eq 'application/problem+json')
}

function Exit-NotTheService {
    # A web filter's block page (often 403), a captive portal's redirect or its page: the network's answer, not ours.
    param($Answer, [string]$Request, $Config)
    $what = 'HTTP ' + $Answer.Status
    if ($Answer.MediaType) { $what += ', ' + $Answer.MediaType }
    if ($Answer.Location) { $what += ', Location ' + $Answer.Location }
    if ($Answer.Text -match '(?is)<title[^>]*>(.*?)</title>') {
        $title = Get-CleanText ($Matches[1] -replace '\s+', ' ')
        if ($title) { $what += ", '" + $title + "'" }
    }
    $serviceHost = ([Uri]$Config.Endpoint).Host
    Exit-WithOutcome 22 ("Un filtre web ou un portail captif a répondu à la place du service d'inscription ({0}, à {1}) : faites autoriser {2} (HTTPS) sur le filtre du collège, sans inspection TLS, ou passez le portail, puis relancez." -f $what, $Request, $serviceHost) `
        ("A web filter or captive portal answered instead of the enrolment service ({0}, to {1}): have {2} (HTTPS) allowed on the school's web filter, without TLS inspection, or get past the portal, then run again." -f $what, $Request, $serviceHost)
}

function Assert-ServiceAnswer {
    # An answer that is neither a network error, nor one worth retrying, nor this service's own ends the run (exit 22).
    param($Answer, [string]$Request, $Config)
    if ($Answer.Status -ne 0 -and -not (Test-Retriable $Answer) -and -not (Test-ServiceAnswer $Answer)) { Exit-NotTheService $Answer $Request $Config }
}

function Exit-OutOfTime {
    param($Config, [string]$What, [string]$Reason)
    Exit-WithOutcome 21 ("Le temps accordé ({0} min) est écoulé avant que « {1} » aboutisse (dernier essai : {2}) : vérifiez le réseau, le proxy et le pare-feu, puis relancez." -f $Config.TimeoutMinutes, $What, $Reason) `
        ("The time allowed ({0} min) ran out before '{1}' succeeded (last try: {2}): check the network, proxy and firewall, then run again." -f $Config.TimeoutMinutes, $What, $Reason)
}

function ConvertFrom-Answer {
    # The JSON of an answer, or $null when it has none (a proxy's HTML page, say).
    param($Answer)
    if (-not $Answer.Text) { return $null }
    try {
        return ($Answer.Text | ConvertFrom-Json)
    }
    catch [System.ArgumentException] {
        return $null
    }
}

function Get-ProblemDetail {
    param($Answer)
    $problem = ConvertFrom-Answer $Answer
    $detail = [string](Get-Field $problem 'detail' '')
    $errors = Get-Field $problem 'errors' $null
    if ($null -ne $errors) {
        $fields = @($errors.PSObject.Properties | ForEach-Object { '{0}: {1}' -f $_.Name, (@($_.Value) -join ' ') })
        if ($fields.Count -gt 0) { $detail = $detail + ' (' + ($fields -join '; ') + ')' }
    }
    return $detail
}

function Get-Wait {
    # Seconds to wait before the next try: the server's Retry-After when it gives one, else doubling from the base.
    param($Config, $Answer, [int]$Try)
    if ($null -ne $Answer -and $null -ne $Answer.RetryAfter) { return [Math]::Min($Config.MaxWaitSeconds, [Math]::Max(1, [int]$Answer.RetryAfter)) }
    $doubled = [double]$Config.RetryBaseSeconds * [Math]::Pow(2, [Math]::Min(10, $Try - 1))
    return [int][Math]::Min([double][Math]::Min(60, $Config.MaxWaitSeconds), $doubled)
}

function Test-Retriable {
    param($Answer)
    return ($Answer.Status -eq 0 -or $Answer.Status -eq 429 -or $Answer.Status -ge 500)
}

function Invoke-WithRetry {
    # Sends until an answer that is not worth retrying (network error, 429, 5xx are), at most MaxAttempts times.
    # $Send is called afresh for each try, so every try is signed with a fresh timestamp.
    param($Config, [string]$What, [scriptblock]$Send)
    $answer = $null
    for ($try = 1; $try -le $Config.MaxAttempts; $try++) {
        $answer = & $Send
        if (-not (Test-Retriable $answer)) { return $answer }
        $reason = $answer.Error
        if ($answer.Status -ne 0) { $reason = 'HTTP ' + $answer.Status }
        if ($try -lt $Config.MaxAttempts) {
            $wait = Get-Wait $Config $answer $try
            # A wait past the deadline would only end in a stop that OOBE makes for us, without a log line.
            if ($wait -ge (Get-SecondsLeft)) { Exit-OutOfTime $Config $What $reason }
            Write-Log ("{0} : essai {1}/{2} sans succès ({3}), nouvel essai dans {4} s / try {1}/{2} failed ({3}), next in {4} s" -f $What, $try, $Config.MaxAttempts, $reason, $wait) 'WARN'
            Start-Sleep -Seconds $wait
        }
        else {
            Write-Log ("{0} : essai {1}/{1} sans succès ({2}) / last try failed ({2})" -f $What, $Config.MaxAttempts, $reason) 'WARN'
        }
    }
    return $answer
}

# ---------------------------------------------------------------------------------------------------------------------
# The steps
# ---------------------------------------------------------------------------------------------------------------------

function Test-BackendAndClock {
    # The backend answers its own health JSON (200 {"status":"healthy"}; contract v1.2: anything else is the network's),
    # and its Date header tells this device's clock error. Signatures older or newer than 300 s are refused: past that,
    # stop with a clear message.
    param($Config)
    $healthUri = [Uri]($Config.Endpoint + '/api/health')
    $answer = Invoke-WithRetry $Config 'Service / backend' { Invoke-Http -Method 'GET' -Uri $healthUri }
    if (Test-Retriable $answer) {
        $reason = $answer.Error
        if ($answer.Status -ne 0) { $reason = 'HTTP ' + $answer.Status }
        Exit-WithOutcome 21 ("Le service d'inscription ne répond pas ({0}) : vérifiez le réseau, le proxy et le pare-feu, puis relancez." -f $reason) `
            ("The enrolment service does not answer ({0}): check the network, proxy and firewall, then run again." -f $reason)
    }
    $health = $null
    if (Test-ServiceAnswer $answer) { $health = ConvertFrom-Answer $answer }
    if ($answer.Status -ne 200 -or [string](Get-Field $health 'status' '') -ne 'healthy') { Exit-NotTheService $answer 'GET /api/health' $Config }
    if ($null -eq $answer.Date) {
        Write-Log "Le service n'a pas donné son heure : horloge non vérifiée / the service gave no Date header: clock not checked" 'WARN'
        return
    }

    $skew = ([DateTimeOffset](Get-UtcNow) - $answer.Date).TotalSeconds
    Write-Log ("Écart d'horloge avec le service / clock difference with the service: {0:N0} s" -f $skew)
    if ([Math]::Abs($skew) -gt $TimestampToleranceSeconds) {
        $minutes = [Math]::Round([Math]::Abs($skew) / 60, 1)
        $way = 'en avance'
        $wayEn = 'ahead'
        if ($skew -lt 0) { $way = 'en retard'; $wayEn = 'behind' }
        Exit-WithOutcome 20 ("L'horloge de cet appareil a {0} min {1} (plus de 5 min) : réglez la date, l'heure et le fuseau (heure de Paris), puis relancez." -f $minutes, $way) `
            ("This device's clock is {0} min {1} (more than 5 min): set the date, time and time zone (Paris), then run again." -f $minutes, $wayEn)
    }
}

function Exit-Refused {
    # A final answer to the enrolment: what it means for the technician at the device.
    param($Answer)
    $detail = Get-ProblemDetail $Answer
    switch ($Answer.Status) {
        401 {
            Exit-WithOutcome 31 "Signature refusée (401) : ce lot n'est pas celui d'une clé valide de ce collège (autre collège, ou clé renouvelée). Demandez le lot à jour au service informatique. $detail" `
                "Signature refused (401): this bundle does not hold a valid key of this school (another school's, or a key rotated out). Ask the IT service for the current bundle. $detail"
        }
        403 {
            Exit-WithOutcome 32 "Refusé (403) : ce numéro de série n'est pas dans l'inventaire des achats. Appelez le service informatique. $detail" `
                "Refused (403): this serial number is not in the purchase inventory. Call the IT service. $detail"
        }
        409 {
            Exit-WithOutcome 33 "Refusé (409) : ce numéro de série est déjà inscrit dans un autre collège. Appelez le service informatique du Département. $detail" `
                "Refused (409): this serial number is already enrolled at another school. Call the Département's IT service. $detail"
        }
        default {
            Exit-WithOutcome 30 ("Refusé ({0}) : les informations envoyées ou le collège sont invalides. Appelez le service informatique. {1}" -f $Answer.Status, $detail) `
                ("Refused ({0}): the data sent, or the school, is invalid. Call the IT service. {1}" -f $Answer.Status, $detail)
        }
    }
}

function Get-EnrolmentFields {
    # The body of POST /api/enrolments (contract v1.1).
    param($Config, $Device)
    $fields = [ordered]@{
        serialNumber = $Device.SerialNumber
        schoolUai    = $Config.SchoolUai
        deviceType   = $Device.DeviceType
        manufacturer = $Device.Manufacturer
        model        = $Device.Model
        hardwareHash = $Device.HardwareHash
    }
    if ($Device.AssetTag) { $fields['assetTag'] = $Device.AssetTag }
    return $fields
}

function Send-Enrolment {
    param($Config, $Device)
    $fields = Get-EnrolmentFields $Config $Device
    # These exact bytes are signed and sent: nothing may serialise them again in between.
    $body = [System.Text.Encoding]::UTF8.GetBytes(($fields | ConvertTo-Json -Compress))
    $uri = [Uri]($Config.Endpoint + '/api/enrolments')

    $answer = Invoke-WithRetry $Config 'Inscription / enrolment' {
        $timestamp = Get-UnixTime
        Invoke-Http -Method 'POST' -Uri $uri -Body $body -Headers @{
            'X-Enrolment-Timestamp' = $timestamp
            'X-Enrolment-Signature' = (Get-Signature -Key $Config.Key -Timestamp $timestamp -Content $body)
        }
    }

    if (Test-Retriable $answer) {
        $reason = $answer.Error
        if ($answer.Status -ne 0) { $reason = 'HTTP ' + $answer.Status }
        Exit-WithOutcome 21 ("Le service d'inscription n'a pas accepté la demande après {0} essais ({1}) : vérifiez le réseau, puis relancez plus tard." -f $Config.MaxAttempts, $reason) `
            ("The enrolment service did not take the request after {0} tries ({1}): check the network, then run again later." -f $Config.MaxAttempts, $reason)
    }
    # A filter's 403 page is not the inventory's 403 (exit 32): only this service's problem+json is a refusal.
    Assert-ServiceAnswer $answer 'POST /api/enrolments' $Config
    if ($answer.Status -ne 200 -and $answer.Status -ne 202) { Exit-Refused $answer }

    $meaning = 'déjà inscrit / already enrolled'
    if ($answer.Status -eq 202) { $meaning = 'inscrit / enrolled' }
    Write-Log ("Inscription : HTTP {0}, {1}" -f $answer.Status, $meaning)
    return (ConvertFrom-Answer $answer)
}

function Get-Status {
    # GET /api/enrolments/{serial}: the school in X-Enrolment-School, the signature over "GET " + the path as sent.
    param($Config, [string]$SerialNumber)
    $uri = [Uri]($Config.Endpoint + '/api/enrolments/' + [Uri]::EscapeDataString($SerialNumber))
    $content = [System.Text.Encoding]::ASCII.GetBytes('GET ' + $uri.AbsolutePath)
    $timestamp = Get-UnixTime
    return (Invoke-Http -Method 'GET' -Uri $uri -Headers @{
            'X-Enrolment-School'    = $Config.SchoolUai
            'X-Enrolment-Timestamp' = $timestamp
            'X-Enrolment-Signature' = (Get-Signature -Key $Config.Key -Timestamp $timestamp -Content $content)
        })
}

function Wait-UntilReady {
    # Follows the device until it is ready to provision, its registration fails for good, or the time allowed runs out.
    param($Config, [string]$SerialNumber, $View)
    $lastSeen = ''
    $answer = $null
    while ($true) {
        if ($null -ne $View) {
            $status = [string](Get-Field $View 'status' '')
            $deploymentProfile = [string](Get-Field $View 'deploymentProfile' 'unknown')
            $seen = "$status/$deploymentProfile"
            if ($seen -ne $lastSeen) {
                Write-Log ("État / status: {0}, profil de déploiement / deployment profile: {1}" -f $status, $deploymentProfile)
                $lastSeen = $seen
            }
            if ([bool](Get-Field $View 'readyToProvision' $false)) { return }

            $retryAfter = Get-Field $View 'retryAfterSeconds' $null
            if ($null -ne $answer -and $null -ne $answer.RetryAfter) { $retryAfter = $answer.RetryAfter }
            $code = [string](Get-Field $View 'lastErrorCode' '')
            if ($status -eq 'failed' -and $null -eq $retryAfter) {
                Exit-WithOutcome 40 ("L'enregistrement dans Autopilot a échoué : {0}. {1}" -f $code, (Get-FailureAdvice $code 'fr')) `
                    ("Registration in Autopilot failed: {0}. {1}" -f $code, (Get-FailureAdvice $code 'en'))
            }
            if ($status -eq 'registered' -and $deploymentProfile -eq 'failed' -and $null -eq $retryAfter) {
                Exit-WithOutcome 42 "Enregistré dans Autopilot, mais l'attribution du profil de déploiement a échoué : appelez le service informatique." `
                    "Registered in Autopilot, but the deployment profile assignment failed: call the IT service."
            }
            if ($status -eq 'failed') { Write-Log ("Échec passager ({0}) : le service réessaie de lui-même / transient failure ({0}): the service tries again by itself" -f $code) 'WARN' }
        }
        else {
            $retryAfter = $null
        }

        # The server's pace when it gives one; else (the first answer of an enrolment has none) soon.
        $wait = $Config.RetryBaseSeconds
        if ($null -ne $retryAfter) { $wait = [int]$retryAfter }
        elseif ($null -ne $answer) { $wait = Get-Wait $Config $answer 3 }
        $wait = [Math]::Min($Config.MaxWaitSeconds, [Math]::Max(1, $wait))
        $left = Get-SecondsLeft
        if ($left -le 0) {
            Exit-WithOutcome 41 ("Inscrit, mais pas encore prêt après {0} min (dernier état : {1}) : Autopilot suit son cours ; relancez le script plus tard, sans réinstaller." -f $Config.TimeoutMinutes, $lastSeen) `
                ("Enrolled, but not ready yet after {0} min (last status: {1}): Autopilot is on its way; run the script again later, without reinstalling." -f $Config.TimeoutMinutes, $lastSeen)
        }
        # [double] on both sides: given an int and a double, PowerShell may pick Math.Min(int, int) and round 0.4 s to 0.
        Start-Sleep -Seconds ([int][Math]::Ceiling([Math]::Min([double]$wait, [double]$left)))

        $answer = Get-Status $Config $SerialNumber
        Assert-ServiceAnswer $answer ('GET /api/enrolments/' + $SerialNumber) $Config
        switch ($answer.Status) {
            200 { $View = ConvertFrom-Answer $answer }
            401 { Exit-Refused $answer }
            404 {
                Exit-WithOutcome 34 "Le service ne connaît plus cet appareil dans ce collège (supprimé ou déplacé) : appelez le service informatique." `
                    "The service no longer knows this device at this school (removed or moved): call the IT service."
            }
            default {
                $View = $null
                $reason = $answer.Error
                if ($answer.Status -ne 0) { $reason = 'HTTP ' + $answer.Status }
                Write-Log ("Lecture de l'état impossible pour l'instant ({0}) / status read failed for now ({0})" -f $reason) 'WARN'
            }
        }
    }
}

function Get-FailureAdvice {
    param([string]$Code, [string]$Language)
    $advice = @{
        'InvalidZtdHardwareHash'         = @("L'empreinte matérielle est invalide : relancez le premier démarrage (une nouvelle empreinte sera envoyée) ; si l'échec persiste, appelez le service informatique.", 'The hardware hash is invalid: run first boot again (a new hash is sent); if it fails again, call the IT service.')
        'ZtdDeviceAssignedToOtherTenant' = @("L'appareil est enregistré chez une autre organisation : le service informatique doit le faire libérer.", 'The device is registered to another organisation: the IT service must have it released.')
        'ZtdDeviceDuplicated'            = @("Un autre appareil a envoyé la même empreinte : appelez le service informatique.", 'Another device sent the same hash: call the IT service.')
    }
    $index = 0
    if ($Language -eq 'en') { $index = 1 }
    if ($advice.ContainsKey($Code)) { return $advice[$Code][$index] }
    return @("Appelez le service informatique (le détail est dans le tableau de bord).", 'Call the IT service (the dashboard has the details).')[$index]
}

function Invoke-RestartOnce {
    # At most one restart per device: a second one would not help Autopilot and could send OOBE to recovery.
    param([string]$SerialNumber)
    $marker = Join-Path $script:LogDirectoryInUse ('restarted-' + $SerialNumber + '.txt')
    if (Test-Path -LiteralPath $marker) {
        Exit-WithOutcome 0 "Prêt pour Autopilot. L'appareil a déjà été redémarré une fois par ce script : pas de nouveau redémarrage ; redémarrez-le à la main si Autopilot ne démarre pas." `
            "Ready for Autopilot. This script already restarted the device once: no second restart; restart it by hand if Autopilot does not start."
    }
    [System.IO.File]::WriteAllText($marker, (Get-UtcNow).ToString('o'), $Utf8NoBom)
    # The provisioning engine's way, not Restart-Computer: a command that returns its ReturnCodeRestart (3010) asks for
    # a restart once the package's commands are done ("Provision PCs with apps", Return Codes: success and success with
    # restart, 0 and 3010), so the engine, not the script, decides when (docs/operations.md, "First boot").
    Exit-WithOutcome 3010 "Prêt pour Autopilot : redémarrage demandé à Windows (code 3010)." "Ready for Autopilot: restart asked of Windows' provisioning engine (code 3010)."
}

# ---------------------------------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------------------------------

if (-not $LogDirectory) { $LogDirectory = Get-DefaultLogDirectory }
[void](New-Item -ItemType Directory -Path $LogDirectory -Force)
$script:LogDirectoryInUse = $LogDirectory
$script:LogPath = Join-Path $LogDirectory 'enrol-device.log'

# The one handler of last resort: whatever was not foreseen still ends in the log with a documented exit code (a
# provisioning package shows no console).
trap {
    Write-Log ("Erreur inattendue / unexpected error: {0} ({1})" -f $_.Exception.Message, $_.InvocationInfo.PositionMessage) 'ERROR'
    Write-Log 'Code de sortie / exit code: 1' 'ERROR'
    exit 1
}

$script:RunTime = [System.Diagnostics.Stopwatch]::StartNew()
Write-Log ("--- Enrol-Device {0}, PowerShell {1}, {2}" -f $ScriptVersion, $PSVersionTable.PSVersion, [Environment]::OSVersion.VersionString)
if (-not $ConfigPath) { $ConfigPath = Join-Path $PSScriptRoot 'enrolment.config.json' }
$config = Read-Configuration $ConfigPath
$script:TimeoutMinutes = $config.TimeoutMinutes
Write-Log ("Collège / school {0}, service {1}, clé / key {2}, délai / timeout {3} min" -f $config.SchoolUai, $config.Endpoint, $config.KeyId, $config.TimeoutMinutes)

$tenant = Get-AutopilotTenant
if ($tenant) {
    Exit-WithOutcome 0 "Cet appareil a déjà un profil Autopilot (locataire $tenant) : rien à faire." "This device already has an Autopilot profile (tenant $tenant): nothing to do."
}

$device = Get-DeviceIdentity $config
Write-Log ("Appareil / device: série {0}, {1}, {2} {3}, châssis {4}, étiquette / asset tag '{5}', empreinte / hash {6} caractères / characters" -f `
        $device.SerialNumber, $device.DeviceType, $device.Manufacturer, $device.Model, $device.ChassisTypes, $device.AssetTag, $device.HardwareHash.Length)
if ($DryRun) {
    # What would be sent, the hash as its length.
    $fields = Get-EnrolmentFields $config $device
    $fields.Remove('hardwareHash')
    $fields['hardwareHashLength'] = $device.HardwareHash.Length
    [pscustomobject]$fields
    Exit-WithOutcome 0 'Essai à blanc : rien n''a été envoyé.' 'Dry run: nothing was sent.'
}

$script:Http = New-HttpClient $config
Test-BackendAndClock $config
$view = Send-Enrolment $config $device
Wait-UntilReady $config $device.SerialNumber $view

if ($Restart) { Invoke-RestartOnce $device.SerialNumber }
Exit-WithOutcome 0 "Prêt pour Autopilot : redémarrez l'appareil (il suivra le profil du collège)." "Ready for Autopilot: restart the device (it will follow the school's profile)."
