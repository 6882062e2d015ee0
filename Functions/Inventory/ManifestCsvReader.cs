using System.Text;

namespace Sarthe.Enrolment.Inventory;

/// <summary>One record of a CSV file: the line a text editor shows it on (the header is line 1) and its fields.</summary>
public sealed record CsvRecord(int Line, IReadOnlyList<string> Fields, string? Error = null);

/// <summary>
/// Reads a manifest as resellers and spreadsheets write it, record by record, without holding the file: UTF-8 with
/// or without a BOM, UTF-16 LE or BE with its BOM (Get-WindowsAutopilotInfo's output under Windows PowerShell 5.1), comma or semicolon separated (decided from the header line, as French Excel writes ';'), RFC
/// 4180 quotes (separators, doubled quotes and line breaks inside quoted fields), CRLF, LF or CR line ends. Blank
/// lines and lines of separators only (what a spreadsheet exports for empty rows) are skipped.
/// </summary>
/// <remarks>
/// Memory is bounded whatever the file: one buffer and one record. A record longer than <see cref="MaxRecordChars"/>
/// (a quote never closed, a file that is not text) is cut at the next line break and returned with an error, so one
/// bad line cannot swallow the rest of the file. Bytes that are not UTF-8 become U+FFFD, which field rules refuse.
/// </remarks>
public sealed class ManifestCsvReader(Stream stream) : IDisposable
{
    /// <summary>Longest record read: the longest valid row (an 8 KiB hash in base64 and its other fields) with room to spare.</summary>
    public const int MaxRecordChars = 32 * 1024;

    public const int MaxFields = 32;

    // UTF-8 unless a byte order mark says UTF-16 (LE or BE: what Windows PowerShell 5.1's Out-File writes, and so
    // Get-WindowsAutopilotInfo's CSV) or UTF-32; the mark itself is not part of the text.
    private readonly StreamReader _reader = new(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), detectEncodingFromByteOrderMarks: true, bufferSize: 64 * 1024);
    private readonly char[] _buffer = new char[64 * 1024];
    private readonly StringBuilder _field = new();
    private int _length;
    private int _position;
    private bool _eof;
    private int _line = 1;
    private bool _started;

    /// <summary>
    /// Why the file cannot be read as text, named by its encoding (known after the first record), or null: a header line
    /// with NUL characters is UTF-16 without its byte order mark; one with bytes that are not UTF-8 is an ANSI
    /// (Windows-1252) file, as Excel's plain "CSV" format saves it.
    /// </summary>
    public string? EncodingProblem { get; private set; }

    /// <summary>The separator found on the header line (',' or ';'); known after the first record.</summary>
    public char Separator { get; private set; } = ',';

    /// <summary>The next record with at least one non-empty field, or null at the end of the file.</summary>
    public async ValueTask<CsvRecord?> ReadAsync(CancellationToken cancellationToken)
    {
        if (!_started)
        {
            await StartAsync(cancellationToken);
        }

        while (true)
        {
            var record = await ReadRecordAsync(cancellationToken);
            if (record is null || record.Error is not null || record.Fields.Any(f => f.Length > 0))
            {
                return record;
            }
        }
    }

    /// <summary>Skips a UTF-8 BOM and picks the separator the header line uses most (outside quotes).</summary>
    private async ValueTask StartAsync(CancellationToken cancellationToken)
    {
        _started = true;
        while (!_eof && _buffer.AsSpan(_position, _length - _position).IndexOfAny('\r', '\n') < 0 && _length < _buffer.Length)
        {
            var read = await _reader.ReadAsync(_buffer.AsMemory(_length), cancellationToken);
            _length += read;
            _eof = read == 0;
        }

        if (_length > 0 && _buffer[0] == '\uFEFF')
        {
            _position = 1;
        }

        var firstLine = _buffer.AsSpan(_position, _length - _position);
        var end = firstLine.IndexOfAny('\r', '\n');
        firstLine = end < 0 ? firstLine : firstLine[..end];
        EncodingProblem = firstLine.Contains('\0')
            ? "The file is not UTF-8: its first line holds NUL characters, as UTF-16 text without its byte order mark does. Save it as UTF-8, or as UTF-16 with its byte order mark (what Windows PowerShell's Out-File writes)."
            : firstLine.Contains('\uFFFD')
                ? "The file is not UTF-8: its first line holds bytes UTF-8 cannot read, as an ANSI (Windows-1252) file does (Excel's plain \"CSV\" format). Save it as \"CSV UTF-8\", or as UTF-16 with its byte order mark."
                : null;

        int commas = 0, semicolons = 0;
        var quoted = false;
        foreach (var c in _buffer.AsSpan(_position, _length - _position))
        {
            if (!quoted && c is '\r' or '\n')
            {
                break;
            }

            quoted ^= c == '"';
            commas += !quoted && c == ',' ? 1 : 0;
            semicolons += !quoted && c == ';' ? 1 : 0;
        }

        Separator = semicolons > commas ? ';' : ',';
    }

    private async ValueTask<CsvRecord?> ReadRecordAsync(CancellationToken cancellationToken)
    {
        if (!await HasMoreAsync(cancellationToken))
        {
            return null;
        }

        var line = _line;
        var fields = new List<string>();
        var chars = 0;
        var quoted = false;
        var fieldWasQuoted = false;
        string? error = null;
        _field.Clear();
        while (await HasMoreAsync(cancellationToken))
        {
            var c = _buffer[_position++];
            if (++chars > MaxRecordChars && error is null)
            {
                error = $"The line is longer than {MaxRecordChars} characters (a quote that is never closed?).";
                quoted = false;
            }

            if (quoted)
            {
                if (c == '"')
                {
                    if (await PeekAsync(cancellationToken) == '"')
                    {
                        _position++;
                        Append(c, error);
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    if (c == '\n' || (c == '\r' && await PeekAsync(cancellationToken) != '\n'))
                    {
                        _line++;
                    }

                    Append(c, error);
                }

                continue;
            }

            if (c == '"' && _field.Length == 0 && !fieldWasQuoted && error is null)
            {
                quoted = fieldWasQuoted = true;
            }
            else if (c == Separator)
            {
                AddField(fields, ref error);
                fieldWasQuoted = false;
            }
            else if (c is '\r' or '\n')
            {
                if (c == '\r' && await PeekAsync(cancellationToken) == '\n')
                {
                    _position++;
                }

                _line++;
                AddField(fields, ref error);
                return new CsvRecord(line, fields, error);
            }
            else
            {
                Append(c, error);
            }
        }

        AddField(fields, ref error);
        return new CsvRecord(line, fields, error ?? (quoted ? "A quoted field is not closed before the end of the file." : null));
    }

    private void Append(char c, string? error)
    {
        if (error is null)
        {
            _field.Append(c);
        }
    }

    private void AddField(List<string> fields, ref string? error)
    {
        if (fields.Count == MaxFields)
        {
            error ??= $"The line has more than {MaxFields} fields.";
        }
        else if (error is null)
        {
            fields.Add(_field.ToString());
        }

        _field.Clear();
    }

    private async ValueTask<bool> HasMoreAsync(CancellationToken cancellationToken)
    {
        if (_position < _length)
        {
            return true;
        }

        if (_eof)
        {
            return false;
        }

        _length = await _reader.ReadAsync(_buffer, cancellationToken);
        _position = 0;
        _eof = _length == 0;
        return !_eof;
    }

    private async ValueTask<char?> PeekAsync(CancellationToken cancellationToken) =>
        await HasMoreAsync(cancellationToken) ? _buffer[_position] : null;

    public void Dispose() => _reader.Dispose();
}
