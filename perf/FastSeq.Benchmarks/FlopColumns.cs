using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace FastSeq.Benchmarks;

/// <summary>Floating-point operations one invocation of the benchmark performs.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class FlopCountAttribute(double flop) : Attribute
{
    public double Flop { get; } = flop;
}

/// <summary>
/// GFLOP/s from a <see cref="FlopCountAttribute"/> and the measured mean, or its fraction of the
/// FMA peak measured in the same summary (the benchmark whose category is "FMA peak").
/// </summary>
public sealed class FlopColumn(bool fractionOfPeak) : IColumn
{
    public string Id => fractionOfPeak ? "FlopPeakFraction" : "GFlops";
    public string ColumnName => fractionOfPeak ? "of FMA peak" : "GFLOP/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => fractionOfPeak ? 1 : 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => fractionOfPeak
        ? "GFLOP/s as a fraction of the Vector256 FMA peak measured in the same run"
        : "Matrix-product FLOP (2 per multiply-add) per second, 1e9";

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => summary.BenchmarksCases.Any(c => Flop(c) is not null);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? gflops = Gflops(summary, benchmarkCase);
        if (gflops is null)
            return "-";
        if (!fractionOfPeak)
            return gflops.Value.ToString("F1", CultureInfo.InvariantCulture);
        BenchmarkCase? peak = summary.BenchmarksCases.FirstOrDefault(c => c.Descriptor.Categories.Contains("FMA peak"));
        double? peakGflops = peak is null ? null : Gflops(summary, peak);
        return peakGflops is null ? "-" : (gflops.Value / peakGflops.Value).ToString("P0", CultureInfo.InvariantCulture);
    }

    public override string ToString() => ColumnName;

    private static double? Flop(BenchmarkCase benchmarkCase) =>
        benchmarkCase.Descriptor.WorkloadMethod.GetCustomAttribute<FlopCountAttribute>()?.Flop;

    private static double? Gflops(Summary summary, BenchmarkCase benchmarkCase)
    {
        double? flop = Flop(benchmarkCase);
        double? nanoseconds = summary[benchmarkCase]?.ResultStatistics?.Mean;
        return flop is null || nanoseconds is null or <= 0 ? null : flop.Value / nanoseconds.Value;
    }
}
