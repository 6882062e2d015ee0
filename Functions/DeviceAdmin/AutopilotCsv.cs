using System.Text;
using Sarthe.Enrolment.Reporting;
using Sarthe.Enrolment.Devices;

namespace Sarthe.Enrolment.DeviceAdmin;

/// <summary>
/// A school's devices as the Windows Autopilot CSV that Intune imports (memdocs autopilot/add-devices.md, "Ensure that the
/// CSV file meets requirements"): the header <c>Device Serial Number,Windows Product ID,Hardware Hash,Group Tag</c>
/// (case-sensitive), no quotation marks, no extra column, an ANSI text file, not Unicode: written in ASCII (every cell is
/// a serial number, base64 or a UAI) without a byte order mark, CRLF line ends. The group tag is the device's school. Cells
/// a spreadsheet would run are neutralised by the rule every CSV of the product follows (<see cref="FundingCsv.Text"/>).
/// </summary>
public static class AutopilotCsv
{
    public const string Header = "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag";

    public const string ContentType = "text/csv; charset=us-ascii";

    /// <summary>Writes the devices as they come, flushing every few hundred lines (memory does not grow with the school).</summary>
    public static async Task WriteAsync(Stream output, IAsyncEnumerable<Device> devices, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(output, Encoding.ASCII, bufferSize: 64 * 1024, leaveOpen: true) { NewLine = "\r\n" };
        await writer.WriteLineAsync(Header);
        var lines = 0;
        await foreach (var device in devices.WithCancellation(cancellationToken))
        {
            await writer.WriteLineAsync($"{FundingCsv.Text(device.SerialNumber)},,{FundingCsv.Text(device.HardwareHash)},{FundingCsv.Text(device.SchoolUai)}");
            if (++lines % 500 == 0)
            {
                await writer.FlushAsync(cancellationToken);
            }
        }

        await writer.FlushAsync(cancellationToken);
    }
}
