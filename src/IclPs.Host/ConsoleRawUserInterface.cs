using System.Management.Automation.Host;

namespace IclPs.Host;

/// <summary>
/// Window geometry for the formatter (table width) and colours. Redirected output has no window; it gets
/// $COLUMNS or 120 columns, like a wide terminal, so tables are not squeezed in logs.
/// </summary>
internal sealed class ConsoleRawUserInterface : PSHostRawUserInterface
{
    private const int RedirectedWidth = 120;

    public static int Width
    {
        get
        {
            if (int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns > 0) return columns;
            if (Console.IsOutputRedirected) return RedirectedWidth;
            try { return Console.WindowWidth > 0 ? Console.WindowWidth : RedirectedWidth; }
            catch (IOException) { return RedirectedWidth; }
        }
    }

    private static int Height
    {
        get
        {
            if (Console.IsOutputRedirected) return 50;
            try { return Console.WindowHeight > 0 ? Console.WindowHeight : 50; }
            catch (IOException) { return 50; }
        }
    }

    public override ConsoleColor ForegroundColor { get => Console.ForegroundColor; set => Console.ForegroundColor = value; }
    public override ConsoleColor BackgroundColor { get => Console.BackgroundColor; set => Console.BackgroundColor = value; }
    public override Size BufferSize { get => new(Width, Height); set => throw new NotSupportedException("iclps-host does not resize the console."); }
    public override Size WindowSize { get => new(Width, Height); set => throw new NotSupportedException("iclps-host does not resize the console."); }
    public override Size MaxWindowSize => WindowSize;
    public override Size MaxPhysicalWindowSize => WindowSize;
    public override Coordinates CursorPosition
    {
        get => Console.IsOutputRedirected ? new Coordinates(0, 0) : new Coordinates(Console.CursorLeft, Console.CursorTop);
        set => Console.SetCursorPosition(value.X, value.Y);
    }
    public override Coordinates WindowPosition { get => new(0, 0); set => throw new NotSupportedException("iclps-host does not move the console window."); }
    public override int CursorSize { get => 25; set { } }
    public override bool KeyAvailable => !Console.IsInputRedirected && Console.KeyAvailable;
    public override string WindowTitle { get; set; } = "iclps-host";

    public override KeyInfo ReadKey(ReadKeyOptions options)
    {
        var key = Console.ReadKey((options & ReadKeyOptions.NoEcho) != 0);
        var state = (key.Modifiers & ConsoleModifiers.Shift) != 0 ? ControlKeyStates.ShiftPressed : 0;
        return new KeyInfo((int)key.Key, key.KeyChar, state, keyDown: true);
    }

    public override void FlushInputBuffer()
    {
        while (KeyAvailable) Console.ReadKey(intercept: true);
    }

    // Screen-buffer access exists only on Windows consoles; nothing IclPs runs needs it.
    public override BufferCell[,] GetBufferContents(Rectangle rectangle) => throw new NotSupportedException("iclps-host cannot read the screen buffer.");
    public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill) => throw new NotSupportedException("iclps-host cannot scroll the screen buffer.");
    public override void SetBufferContents(Coordinates origin, BufferCell[,] contents) => throw new NotSupportedException("iclps-host cannot write the screen buffer.");
    public override void SetBufferContents(Rectangle rectangle, BufferCell fill) => throw new NotSupportedException("iclps-host cannot write the screen buffer.");
}
