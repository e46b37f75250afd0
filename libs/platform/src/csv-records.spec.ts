import { Readable } from 'node:stream';
import { csvRecords } from './csv-records';

async function parse(chunks: string[]): Promise<string[][]> {
  const out: string[][] = [];
  for await (const r of csvRecords(Readable.from(chunks.map((c) => Buffer.from(c))))) out.push(r);
  return out;
}

describe('csvRecords', () => {
  it('splits records and fields, with CRLF or LF and no final newline', async () => {
    expect(await parse(['a,b\r\n1,2\n3,'])).toEqual([
      ['a', 'b'],
      ['1', '2'],
      ['3', ''],
    ]);
  });

  it('keeps quoted commas, doubled quotes and line breaks, across chunk boundaries', async () => {
    expect(await parse(['\uFEFFname,"x', ',y"\n"say ""hi', '""","line\nbreak"\n'])).toEqual([
      ['name', 'x,y'],
      ['say "hi"', 'line\nbreak'],
    ]);
  });

  it('refuses a record longer than the limit, such as one opened by a stray quote', async () => {
    const out: string[][] = [];
    const stream = Readable.from([Buffer.from('a,b\n"x,' + 'y'.repeat(100) + '\n1,2\n')]);
    await expect(
      (async () => {
        for await (const r of csvRecords(stream, { maxRecordChars: 50 })) out.push(r);
      })(),
    ).rejects.toThrow(/longer than 50/);
    expect(out).toEqual([['a', 'b']]);
  });

  it('refuses a file that ends inside quotes', async () => {
    await expect(parse(['a,"b\n'])).rejects.toThrow(/quoted/);
  });
});
