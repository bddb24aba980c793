using System.Globalization;
using CsvHelper;
using IclPs.Engine.Export;
using IclPs.Engine.Tests.Data;

namespace IclPs.Engine.Tests.Export;

public class ResultCsvWriterTests
{
    private static KeyValuePair<string, object?>[] Row(params (string Column, object? Value)[] cells) =>
        cells.Select(c => new KeyValuePair<string, object?>(c.Column, c.Value)).ToArray();

    private static (string[] Header, List<string[]> Rows) ReadBack(string path, char delimiter = ',')
    {
        using var reader = CsvReader.FromFile(path, CsvReaderOptions.Default with { Separator = delimiter, HasHeader = true });
        var header = reader.Headers.ToArray();
        var rows = new List<string[]>();
        while (reader.Read()) rows.Add(Enumerable.Range(0, reader.FieldCount).Select(reader.GetString).ToArray());
        return (header, rows);
    }

    [Fact]
    public void RoundTripsThroughCsvHelper()
    {
        using var dir = new TempFolder();
        var path = dir.File("results.csv");
        var when = new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc);
        var written = ResultCsvWriter.Write(path, new[]
        {
            Row(("Query", "hot"), ("Correct", true), ("LogProb", -1.0 / 3), ("Rank", 2), ("Note", null), ("When", when)),
            Row(("Query", "big"), ("Correct", false), ("LogProb", 1e-300), ("Rank", 17), ("Note", "x"), ("When", when)),
        });

        Assert.Equal(2, written);
        var (header, rows) = ReadBack(path);
        Assert.Equal(new[] { "Query", "Correct", "LogProb", "Rank", "Note", "When" }, header);
        Assert.Equal(new[] { "hot", "True", (-1.0 / 3).ToString(CultureInfo.InvariantCulture), "2", "", "2024-05-06T07:08:09.0000000Z" }, rows[0]);
        Assert.Equal(-1.0 / 3, double.Parse(rows[0][2], CultureInfo.InvariantCulture));
        Assert.Equal(1e-300, double.Parse(rows[1][2], CultureInfo.InvariantCulture));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void CommaDecimalCultureStillWritesPoints()
    {
        using var dir = new TempFolder();
        var path = dir.File("de.csv");
        var previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
        try
        {
            Assert.Equal("1,5", 1.5.ToString());   // the culture really uses a decimal comma
            ResultCsvWriter.Write(path, new[] { Row(("Mean", 1.5), ("Std", 1234.25f), ("Vector", new[] { 0.6, 0.8 })) });
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
        Assert.Equal("Mean,Std,Vector\r\n1.5,1234.25,dim=2;norm=1\r\n", File.ReadAllText(path));
    }

    [Fact]
    public void QuotesCommasLineBreaksAndQuotes()
    {
        using var dir = new TempFolder();
        var path = dir.File("quoted.csv");
        var nasty = new[] { "a,b", "two\nlines", "say \"hi\"", " padded " };
        ResultCsvWriter.Write(path, new[] { Row(nasty.Select((v, i) => ($"c{i}", (object?)v)).ToArray()) });

        Assert.Contains("\"a,b\",\"two\nlines\",\"say \"\"hi\"\"\"", File.ReadAllText(path));
        Assert.Equal(nasty, ReadBack(path).Rows.Single());
    }

    [Fact]
    public void VectorsAreSummarisedOrFlattened()
    {
        using var dir = new TempFolder();
        var summary = dir.File("summary.csv");
        var flat = dir.File("flat.csv");
        var rows = new[] { Row(("Layer", 3), ("V", new float[] { 3, 4 })) };
        ResultCsvWriter.Write(summary, rows);
        ResultCsvWriter.Write(flat, rows, new CsvWriteOptions { FlattenVectors = true, Delimiter = ';' });

        Assert.Equal(new[] { "3", "dim=2;norm=5" }, ReadBack(summary).Rows.Single());
        var (header, values) = ReadBack(flat, ';');
        Assert.Equal(new[] { "Layer", "V_0", "V_1" }, header);
        Assert.Equal(new[] { "3", "3", "4" }, values.Single());
    }

    [Fact]
    public void AppendAddsRowsUnderAMatchingHeader()
    {
        using var dir = new TempFolder();
        var path = dir.File("append.csv", "A,B\n1,2");   // no final line break
        ResultCsvWriter.Write(path, new[] { Row(("A", 3), ("B", 4)), Row(("A", 5)) }, new CsvWriteOptions { Append = true });

        var (header, rows) = ReadBack(path);
        Assert.Equal(new[] { "A", "B" }, header);
        Assert.Equal(new[] { new[] { "1", "2" }, new[] { "3", "4" }, new[] { "5", "" } }, rows);

        var fresh = dir.File("fresh.csv");
        ResultCsvWriter.Write(fresh, new[] { Row(("A", 1)) }, new CsvWriteOptions { Append = true });
        Assert.Equal("A\r\n1\r\n", File.ReadAllText(fresh));
    }

    [Fact]
    public void AppendWithADifferentHeaderFailsAndNamesBoth()
    {
        using var dir = new TempFolder();
        var original = "A,B\r\n1,2\r\n";
        var path = dir.File("append.csv", original);
        var ex = Assert.Throws<IclPsException>(() => ResultCsvWriter.Write(path, new[] { Row(("A", 3), ("C", 4)) }, new CsvWriteOptions { Append = true }));

        Assert.Equal("CsvHeaderMismatch", ex.ErrorId);
        Assert.Contains("(A,B)", ex.Message);
        Assert.Contains("(A,C)", ex.Message);
        Assert.Equal(original, File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void AFailureMidWayLeavesNothingHalfWritten()
    {
        using var dir = new TempFolder();
        IEnumerable<KeyValuePair<string, object?>[]> Failing()
        {
            yield return Row(("A", 1));
            yield return Row(("A", 2));
            throw new InvalidOperationException("producer failed");
        }

        var fresh = dir.File("fresh.csv");
        Assert.Throws<InvalidOperationException>(() => ResultCsvWriter.Write(fresh, Failing()));
        Assert.False(File.Exists(fresh));

        var original = "A\r\n0\r\n";
        var existing = dir.File("existing.csv", original);
        Assert.Throws<InvalidOperationException>(() => ResultCsvWriter.Write(existing, Failing(), new CsvWriteOptions { Append = true }));
        Assert.Throws<InvalidOperationException>(() => ResultCsvWriter.Write(existing, Failing()));
        Assert.Equal(original, File.ReadAllText(existing));
        Assert.Equal(new[] { existing }, Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void RowsMayOmitButNotAddColumns()
    {
        using var dir = new TempFolder();
        var path = dir.File("rows.csv");
        using (var writer = ResultCsvWriter.Open(path))
        {
            writer.WriteRow(Row(("A", 1), ("B", 2)));
            writer.WriteRow(Row(("B", 3)));
            var ex = Assert.Throws<IclPsException>(() => writer.WriteRow(Row(("A", 1), ("Z", 9))));
            Assert.Equal("CsvRowColumnMismatch", ex.ErrorId);
            Assert.Equal("CsvDuplicateColumn", Assert.Throws<IclPsException>(() => writer.WriteRow(Row(("A", 1), ("A", 2)))).ErrorId);
            Assert.Equal(new[] { "A", "B" }, writer.Header);
            writer.Commit();
        }
        Assert.Equal(new[] { new[] { "1", "2" }, new[] { "", "3" } }, ReadBack(path).Rows);
    }

    [Fact]
    public void NoRowsCreatesNoFile()
    {
        using var dir = new TempFolder();
        var path = dir.File("empty.csv");
        Assert.Equal(0, ResultCsvWriter.Write(path, Array.Empty<KeyValuePair<string, object?>[]>()));
        Assert.Empty(Directory.GetFiles(dir.Path));
        Assert.Equal("OutputDirectoryNotFound", Assert.Throws<IclPsException>(() => ResultCsvWriter.Open(Path.Combine(dir.Path, "missing", "x.csv"))).ErrorId);
    }
}
