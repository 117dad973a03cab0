package main

// Scenario rowfile: encode N rows × 10 typed fields from sluice's row model
// (rows.Row/Value) into a buffered temp file and decode them back into a
// rows.Row, with sluice's row-file codec and the candidate encodings, on one
// goroutine. Every decoded value is checked exact against the generator.
//
//	go run ./bench rowfile --rows 1000000 [--repeat 3] [--codecs sluice-rowfile,avro-ocf,...] [--dir /tmp]
//
// Timing excludes row generation (rows are generated in chunks of 8192
// outside the timed region) and verification (a second, untimed decode
// pass); it includes each candidate's conversion from and to rows.Row,
// because sluice would pay it. Rates are given per wall second and per
// process CPU second (user+sys, GC included): on a shared machine the CPU
// rate is the steadier figure.

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/amazon-ion/ion-go/ion"
	"github.com/fxamacker/cbor/v2"
	"github.com/hamba/avro/v2/ocf"
	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"

	"github.com/sluicehq/sluice/internal/rows"
	"github.com/sluicehq/sluice/internal/rows/rowfile"
	ionrows "github.com/sluicehq/sluice/serdes/ion"
)

func init() { scenarios["rowfile"] = runRowfile }

type rowEncoder interface {
	Write(*rows.Row) error
	Finish() error // everything written to the io.Writer, which the harness flushes
}

type rowDecoder interface {
	Next(*rows.Row) bool
	Err() error
}

type rowCodec struct {
	name string
	note string
	enc  func(io.Writer, *rows.Schema) (rowEncoder, error)
	dec  func(io.Reader, *rows.Schema) (rowDecoder, error)
}

var rowCodecs = []rowCodec{
	{"sluice-rowfile", "internal/rows/rowfile: tagged varint values, 64 KiB CRC-32C blocks; decodes into the Row with no copy",
		newRowfileEnc, newRowfileDec},
	{"msgpack", "vmihailenco/msgpack/v5 low-level Encode*/Decode*, an array per row, dispatch on value kind (write) and schema kind (read); decimal as [scale, unscaled]",
		newMsgpackEnc, newMsgpackDec},
	{"avro-ocf", "hamba/avro/v2 OCF, no codec, a Go struct of plain fields per row (decimal as long unscaled with the schema's fixed scale, date int days, timestamp long µs)",
		newAvroEnc, newAvroDec},
	{"cbor", "fxamacker/cbor/v2, a toarray struct per row (decimal as unscaled+scale ints, timestamps as int µs: no µs time tag)",
		newCBOREnc, newCBORDec},
	{"ion-binary", "amazon-ion/ion-go v1.5.0 NewBinaryWriterLST (streams) + ion.NewReader, a struct per row with field names, timestamps with 6 fractional digits",
		newIonBinaryEnc, newIonDec},
	{"ion-text", "amazon-ion/ion-go v1.5.0 NewTextWriter, one struct per line (Kestra's format) + ion.NewReader",
		newIonTextEnc, newIonDec},
}

func runRowfile(args []string) error {
	fs := flag.NewFlagSet("rowfile", flag.ContinueOnError)
	n := fs.Int64("rows", 1_000_000, "rows to encode and decode")
	codecs := fs.String("codecs", "", "comma-separated codec names (default all: "+codecNames()+")")
	dir := fs.String("dir", os.TempDir(), "directory for the temp files")
	repeat := fs.Int("repeat", 1, "encode and decode this many times per codec and keep each metric's best run")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	stop, err := startCPUProfile(*cpuprofile)
	if err != nil {
		return err
	}
	defer stop()
	want := map[string]bool{}
	for _, c := range strings.Split(*codecs, ",") {
		if c != "" {
			want[c] = true
		}
	}
	for _, c := range rowCodecs {
		delete(want, c.name)
	}
	for c := range want {
		return fmt.Errorf("unknown codec %q (have %s)", c, codecNames())
	}
	selected := func(name string) bool { return *codecs == "" || strings.Contains(","+*codecs+",", ","+name+",") }
	failed := 0
	for _, c := range rowCodecs {
		if !selected(c.name) {
			continue
		}
		res, err := benchCodec(c, *n, *dir, max(*repeat, 1))
		if err != nil {
			fmt.Fprintf(os.Stderr, "rowfile: %s: %v\n", c.name, err)
			failed++
			if res == nil {
				continue
			}
		}
		emit(res)
	}
	if failed > 0 {
		return fmt.Errorf("%d codec(s) failed", failed)
	}
	return nil
}

func codecNames() string {
	var s []string
	for _, c := range rowCodecs {
		s = append(s, c.name)
	}
	return strings.Join(s, ",")
}

// phase accumulates wall time, process CPU time and mallocs over timed spans.
type phase struct {
	wall    time.Duration
	cpu     time.Duration
	mallocs uint64
	t0      time.Time
	c0      time.Duration
	m0      uint64
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func mallocs() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Mallocs
}

func (p *phase) start() {
	p.m0 = mallocs()
	p.c0 = cpuTime()
	p.t0 = time.Now()
}

func (p *phase) stop() {
	p.wall += time.Since(p.t0)
	p.cpu += cpuTime() - p.c0
	p.mallocs += mallocs() - p.m0
}

func benchCodec(c rowCodec, n int64, dir string, repeat int) (map[string]any, error) {
	res := map[string]any{"scenario": "rowfile", "codec": c.name, "rows": n, "note": c.note, "exact": false, "repeat": repeat}
	f, err := os.CreateTemp(dir, "sluice-bench-"+c.name+"-*")
	if err != nil {
		return nil, err
	}
	path := f.Name()
	f.Close()
	defer os.Remove(path)

	runtime.GC()
	rssReset := resetPeakRSS()
	// With --repeat, each metric keeps its best repetition: on a shared
	// machine the best is the run least disturbed by other processes.
	var enc, dec phase
	var size int64
	for r := range repeat {
		e, sz, err := encodeFile(c, path, n)
		if err != nil {
			return nil, err
		}
		size = sz
		runtime.GC()
		d, err := decodeFile(c, path, n)
		if err != nil {
			return nil, fmt.Errorf("decode: %w", err)
		}
		if r == 0 {
			enc, dec = e, d
			continue
		}
		enc.wall, enc.cpu = min(enc.wall, e.wall), min(enc.cpu, e.cpu)
		dec.wall, dec.cpu = min(dec.wall, d.wall), min(dec.cpu, d.cpu)
		runtime.GC()
	}
	peak := peakRSSMB()
	verr := verifyFile(c, path, n)

	fn := float64(n)
	res["encode_rows_per_s"] = math.Round(fn / enc.wall.Seconds())
	res["decode_rows_per_s"] = math.Round(fn / dec.wall.Seconds())
	res["encode_rows_per_cpu_s"] = math.Round(fn / enc.cpu.Seconds())
	res["decode_rows_per_cpu_s"] = math.Round(fn / dec.cpu.Seconds())
	res["bytes_per_row"] = round(float64(size)/fn, 1)
	res["file_bytes"] = size
	res["allocs_per_row_enc"] = round(float64(enc.mallocs)/fn, 2)
	res["allocs_per_row_dec"] = round(float64(dec.mallocs)/fn, 2)
	if rssReset {
		res["peak_rss_mb"] = peak
	} else {
		res["peak_rss_mb_process"] = peak // clear_refs unavailable: process-wide peak
	}
	res["exact"] = verr == nil
	if verr != nil {
		return res, fmt.Errorf("not exact: %w", verr)
	}
	return res, nil
}

// encodeFile writes n generated rows to path through c; only the encoder's
// work (and the buffered writes) is timed, chunk generation is not.
func encodeFile(c rowCodec, path string, n int64) (enc phase, size int64, err error) {
	f, err := os.Create(path)
	if err != nil {
		return enc, 0, err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 64<<10)
	chunk := newGenChunk()
	enc.start()
	e, err := c.enc(bw, benchSchema)
	enc.stop()
	if err != nil {
		return enc, 0, fmt.Errorf("encoder: %w", err)
	}
	for first := int64(0); first < n; first += genChunkRows {
		k := chunk.fill(first, min(genChunkRows, n-first))
		enc.start()
		for i := range k {
			if err := e.Write(&chunk.rows[i]); err != nil {
				return enc, 0, fmt.Errorf("encode row %d: %w", first+int64(i)+1, err)
			}
		}
		enc.stop()
	}
	enc.start()
	err = e.Finish()
	if err == nil {
		err = bw.Flush()
	}
	enc.stop()
	if err != nil {
		return enc, 0, fmt.Errorf("finish: %w", err)
	}
	size, err = f.Seek(0, io.SeekCurrent)
	return enc, size, err
}

// decodeFile decodes path through c, timed, touching every value so that
// nothing is optimised away.
func decodeFile(c rowCodec, path string, n int64) (dec phase, err error) {
	var got, sink int64
	err = withDecoder(c, path, &dec, func(d rowDecoder) error {
		var row rows.Row
		for d.Next(&row) {
			for _, v := range row.Values {
				sink += v.Raw() + int64(len(v.AsBytes()))
			}
			got++
		}
		return d.Err()
	})
	if err == nil && got != n {
		err = fmt.Errorf("%d rows back, want %d (checksum %d)", got, n, sink)
	}
	return dec, err
}

// verifyFile decodes path again, untimed, and checks every value Equal to
// the generator's.
func verifyFile(c rowCodec, path string, n int64) error {
	var checked int64
	return withDecoder(c, path, nil, func(d rowDecoder) error {
		var row, want rows.Row
		var scratch genScratch
		for d.Next(&row) {
			genRow(checked, &want, &scratch)
			checked++
			if len(row.Values) != len(want.Values) {
				return fmt.Errorf("row %d: %d values, want %d", checked, len(row.Values), len(want.Values))
			}
			for j := range want.Values {
				if !row.Values[j].Equal(want.Values[j]) {
					return fmt.Errorf("row %d field %s: got %s %v, want %s %v", checked, benchSchema.Fields[j].Name,
						row.Values[j].Kind(), row.Values[j], want.Values[j].Kind(), want.Values[j])
				}
			}
		}
		if err := d.Err(); err != nil {
			return err
		}
		if checked != n {
			return fmt.Errorf("%d rows back, want %d", checked, n)
		}
		return nil
	})
}

// withDecoder opens path, times (when p != nil) the decoder's creation and
// use by fn, and closes the file.
func withDecoder(c rowCodec, path string, p *phase, fn func(rowDecoder) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if p != nil {
		p.start()
		defer p.stop()
	}
	d, err := c.dec(bufio.NewReaderSize(f, 64<<10), benchSchema)
	if err != nil {
		return err
	}
	return fn(d)
}

// --- the data ---------------------------------------------------------------

var benchSchema = &rows.Schema{Fields: []rows.Field{
	{Name: "id", Kind: rows.KindInt},
	{Name: "name", Kind: rows.KindString},
	{Name: "city", Kind: rows.KindString},
	{Name: "score", Kind: rows.KindFloat},
	{Name: "amount", Kind: rows.KindDecimal, Precision: 12, Scale: 2},
	{Name: "active", Kind: rows.KindBool},
	{Name: "day", Kind: rows.KindDate},
	{Name: "ts", Kind: rows.KindTimestamp, Precision: 6},
	{Name: "note", Kind: rows.KindString, Nullable: true},
	{Name: "tag", Kind: rows.KindBytes},
}}

var benchCities = []string{"Lisbon", "Kathmandu", "São Paulo", "Reykjavík", "Nairobi", "Osaka", "Winnipeg", "Tbilisi",
	"Montevideo", "Hobart", "Tromsø", "Ulaanbaatar", "Cork", "Da Nang", "Valparaíso", "Lagos"}

var benchNotes = []string{"paid on delivery", "gift wrap, no invoice", "call before 9am", "fragile — handle with care",
	"left at reception", "customer asked for a refund", "repeat order", "ship with the next batch"}

const genChunkRows = 8192

// genScratch holds the memory a generated row points into.
type genScratch struct {
	tag  [16]byte
	name []byte
}

// genRow fills row with row i of the data set; strings and bytes point into
// s, which must outlive the row's use. It allocates nothing once warm.
func genRow(i int64, row *rows.Row, s *genScratch) {
	row.Reset(10)
	h := uint64(i+1) * 0x9e3779b97f4a7c15
	h ^= h >> 29
	binaryPut(s.tag[:8], h)
	binaryPut(s.tag[8:], h*0xbf58476d1ce4e5b9)
	s.name = strconv.AppendInt(append(s.name[:0], "user_"...), i, 10)
	v := row.Values
	v[0] = rows.Int(i*7919 - 3_000_000)
	v[1] = rows.StringBytes(s.name)
	v[2] = rows.String(benchCities[h%uint64(len(benchCities))])
	v[3] = rows.Float(float64(h%10_000_000) * 0.001)
	v[4] = rows.Decimal(int64(h>>8%1_000_000_000_000)-500_000_000_000, 2)
	v[5] = rows.Bool(h&(1<<40) != 0)
	v[6] = rows.Date(10957 + int64(h>>16%9000))
	v[7] = rows.Timestamp(1_600_000_000_000_000 + i*1_000_003 + int64(h%1000))
	if h>>24%10 < 3 {
		v[8] = rows.Null
	} else {
		v[8] = rows.String(benchNotes[h>>32%uint64(len(benchNotes))])
	}
	v[9] = rows.Bytes(s.tag[:])
}

func binaryPut(b []byte, x uint64) {
	for k := range 8 {
		b[k] = byte(x >> (8 * k))
	}
}

// genChunk is a batch of generated rows, so that generation stays out of the
// encode timing.
type genChunk struct {
	rows    []rows.Row
	scratch []genScratch
}

func newGenChunk() *genChunk {
	c := &genChunk{rows: make([]rows.Row, genChunkRows), scratch: make([]genScratch, genChunkRows)}
	for i := range c.scratch {
		c.scratch[i].name = make([]byte, 0, 32)
	}
	return c
}

func (c *genChunk) fill(first, n int64) int {
	for i := range n {
		genRow(first+i, &c.rows[i], &c.scratch[i])
	}
	return int(n)
}

// --- sluice rowfile -----------------------------------------------------------

type rowfileEnc struct{ *rowfile.Writer }

func (e rowfileEnc) Finish() error { return e.Flush() }

func newRowfileEnc(w io.Writer, s *rows.Schema) (rowEncoder, error) {
	rw, err := rowfile.NewWriter(w, s)
	return rowfileEnc{rw}, err
}

func newRowfileDec(r io.Reader, _ *rows.Schema) (rowDecoder, error) { return rowfile.NewReader(r) }

// --- msgpack --------------------------------------------------------------------

type msgpackEnc struct{ e *msgpack.Encoder }

func newMsgpackEnc(w io.Writer, _ *rows.Schema) (rowEncoder, error) {
	return &msgpackEnc{msgpack.NewEncoder(w)}, nil
}

func (m *msgpackEnc) Finish() error { return nil }

func (m *msgpackEnc) Write(r *rows.Row) error {
	e := m.e
	if err := e.EncodeArrayLen(len(r.Values)); err != nil {
		return err
	}
	for i := range r.Values {
		v := &r.Values[i]
		var err error
		switch v.Kind() {
		case rows.KindNull:
			err = e.EncodeNil()
		case rows.KindBool:
			err = e.EncodeBool(v.AsBool())
		case rows.KindInt, rows.KindDate, rows.KindTime, rows.KindTimestamp:
			err = e.EncodeInt(v.Raw())
		case rows.KindFloat:
			err = e.EncodeFloat64(v.AsFloat())
		case rows.KindString:
			err = e.EncodeString(v.AsString())
		case rows.KindBytes:
			err = e.EncodeBytes(v.AsBytes())
		case rows.KindDecimal:
			if v.IsBigDecimal() {
				return errors.New("msgpack bench: big decimals not supported")
			}
			if err = e.EncodeArrayLen(2); err == nil {
				if err = e.EncodeInt(int64(v.Scale())); err == nil {
					err = e.EncodeInt(v.Raw())
				}
			}
		default:
			return fmt.Errorf("msgpack bench: kind %s not supported", v.Kind())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

type msgpackDec struct {
	d     *msgpack.Decoder
	s     *rows.Schema
	arena []byte // strings and bytes of the current row
	err   error
}

func newMsgpackDec(r io.Reader, s *rows.Schema) (rowDecoder, error) {
	return &msgpackDec{d: msgpack.NewDecoder(r), s: s, arena: make([]byte, 0, 1024)}, nil
}

func (m *msgpackDec) Err() error { return m.err }

func (m *msgpackDec) Next(row *rows.Row) bool {
	n, err := m.d.DecodeArrayLen()
	if err != nil {
		if !errors.Is(err, io.EOF) {
			m.err = err
		}
		return false
	}
	if n != len(m.s.Fields) {
		m.err = fmt.Errorf("row has %d values, schema %d", n, len(m.s.Fields))
		return false
	}
	row.Reset(n)
	m.arena = m.arena[:0]
	for i, f := range m.s.Fields {
		if m.err = m.value(&row.Values[i], f.Kind); m.err != nil {
			return false
		}
	}
	return true
}

func (m *msgpackDec) value(dst *rows.Value, k rows.Kind) error {
	d := m.d
	c, err := d.PeekCode()
	if err != nil {
		return err
	}
	if c == msgpcode.Nil {
		*dst = rows.Null
		return d.DecodeNil()
	}
	switch k {
	case rows.KindBool:
		b, err := d.DecodeBool()
		*dst = rows.Bool(b)
		return err
	case rows.KindInt, rows.KindDate, rows.KindTimestamp, rows.KindTime:
		x, err := d.DecodeInt64()
		switch k {
		case rows.KindInt:
			*dst = rows.Int(x)
		case rows.KindDate:
			*dst = rows.Date(x)
		case rows.KindTime:
			*dst = rows.TimeOfDay(x)
		default:
			*dst = rows.Timestamp(x)
		}
		return err
	case rows.KindFloat:
		x, err := d.DecodeFloat64()
		*dst = rows.Float(x)
		return err
	case rows.KindString, rows.KindBytes:
		// Read into the row arena instead of DecodeString, which allocates.
		n, err := d.DecodeBytesLen()
		if err != nil {
			return err
		}
		if len(m.arena)+n > cap(m.arena) {
			m.arena = make([]byte, 0, max(2*cap(m.arena), n)) // earlier values keep the old one
		}
		start := len(m.arena)
		m.arena = m.arena[:start+n]
		p := m.arena[start : start+n : start+n]
		if err := d.ReadFull(p); err != nil {
			return err
		}
		if k == rows.KindString {
			*dst = rows.StringBytes(p)
		} else {
			*dst = rows.Bytes(p)
		}
		return nil
	case rows.KindDecimal:
		if n, err := d.DecodeArrayLen(); err != nil || n != 2 {
			return fmt.Errorf("decimal: %d items, %v", n, err)
		}
		scale, err := d.DecodeInt32()
		if err != nil {
			return err
		}
		x, err := d.DecodeInt64()
		*dst = rows.Decimal(x, scale)
		return err
	}
	return fmt.Errorf("msgpack bench: kind %s not supported", k)
}

// --- Avro OCF ---------------------------------------------------------------------

const avroSchema = `{"type":"record","name":"row","fields":[
 {"name":"id","type":"long"},
 {"name":"name","type":"string"},
 {"name":"city","type":"string"},
 {"name":"score","type":"double"},
 {"name":"amount","type":"long","doc":"unscaled decimal(12,2)"},
 {"name":"active","type":"boolean"},
 {"name":"day","type":"int","doc":"days since 1970-01-01"},
 {"name":"ts","type":"long","doc":"µs since 1970-01-01T00:00:00, no zone"},
 {"name":"note","type":["null","string"]},
 {"name":"tag","type":"bytes"}]}`

type avroRow struct {
	ID     int64   `avro:"id"`
	Name   string  `avro:"name"`
	City   string  `avro:"city"`
	Score  float64 `avro:"score"`
	Amount int64   `avro:"amount"`
	Active bool    `avro:"active"`
	Day    int32   `avro:"day"`
	TS     int64   `avro:"ts"`
	Note   *string `avro:"note"`
	Tag    []byte  `avro:"tag"`
}

type avroEnc struct {
	e    *ocf.Encoder
	rec  avroRow
	note string
}

func newAvroEnc(w io.Writer, _ *rows.Schema) (rowEncoder, error) {
	e, err := ocf.NewEncoder(avroSchema, w)
	return &avroEnc{e: e}, err
}

func (a *avroEnc) Finish() error { return a.e.Close() }

func (a *avroEnc) Write(r *rows.Row) error {
	v := r.Values
	amount := v[4]
	// Avro's decimal has a fixed scale: check it, hamba/avro would round.
	if amount.Kind() != rows.KindDecimal || amount.Scale() != 2 || amount.IsBigDecimal() {
		return fmt.Errorf("amount %v does not fit decimal(12,2)", amount)
	}
	if v[6].Raw() < math.MinInt32 || v[6].Raw() > math.MaxInt32 {
		return fmt.Errorf("day %v out of Avro date range", v[6])
	}
	rec := &a.rec
	rec.ID = v[0].AsInt()
	rec.Name = v[1].AsString()
	rec.City = v[2].AsString()
	rec.Score = v[3].AsFloat()
	rec.Amount = amount.Raw()
	rec.Active = v[5].AsBool()
	rec.Day = int32(v[6].Raw())
	rec.TS = v[7].Raw()
	rec.Note = nil
	if !v[8].IsNull() {
		a.note = v[8].AsString()
		rec.Note = &a.note
	}
	rec.Tag = v[9].AsBytes()
	return a.e.Encode(rec)
}

type avroDec struct {
	d   *ocf.Decoder
	rec avroRow
	err error
}

func newAvroDec(r io.Reader, _ *rows.Schema) (rowDecoder, error) {
	d, err := ocf.NewDecoder(r)
	return &avroDec{d: d}, err
}

func (a *avroDec) Err() error {
	if a.err != nil {
		return a.err
	}
	return a.d.Error()
}

func (a *avroDec) Next(row *rows.Row) bool {
	if !a.d.HasNext() {
		return false
	}
	rec := &a.rec
	if a.err = a.d.Decode(rec); a.err != nil {
		return false
	}
	row.Reset(10)
	v := row.Values
	v[0] = rows.Int(rec.ID)
	v[1] = rows.String(rec.Name)
	v[2] = rows.String(rec.City)
	v[3] = rows.Float(rec.Score)
	v[4] = rows.Decimal(rec.Amount, 2)
	v[5] = rows.Bool(rec.Active)
	v[6] = rows.Date(int64(rec.Day))
	v[7] = rows.Timestamp(rec.TS)
	if rec.Note != nil {
		v[8] = rows.String(*rec.Note)
	}
	v[9] = rows.Bytes(rec.Tag)
	return true
}

// --- CBOR -------------------------------------------------------------------------

type cborRow struct {
	_        struct{} `cbor:",toarray"`
	ID       int64
	Name     string
	City     string
	Score    float64
	Unscaled int64
	Scale    int32
	Active   bool
	Day      int64
	TS       int64
	Note     *string
	Tag      []byte
}

type cborEnc struct {
	e    *cbor.Encoder
	rec  cborRow
	note string
}

func newCBOREnc(w io.Writer, _ *rows.Schema) (rowEncoder, error) {
	return &cborEnc{e: cbor.NewEncoder(w)}, nil
}

func (c *cborEnc) Finish() error { return nil }

func (c *cborEnc) Write(r *rows.Row) error {
	v := r.Values
	if v[4].IsBigDecimal() {
		return errors.New("cbor bench: big decimals not supported")
	}
	rec := &c.rec
	rec.ID = v[0].AsInt()
	rec.Name = v[1].AsString()
	rec.City = v[2].AsString()
	rec.Score = v[3].AsFloat()
	rec.Unscaled, rec.Scale = v[4].Raw(), v[4].Scale()
	rec.Active = v[5].AsBool()
	rec.Day = v[6].Raw()
	rec.TS = v[7].Raw()
	rec.Note = nil
	if !v[8].IsNull() {
		c.note = v[8].AsString()
		rec.Note = &c.note
	}
	rec.Tag = v[9].AsBytes()
	return c.e.Encode(rec)
}

type cborDec struct {
	d   *cbor.Decoder
	rec cborRow
	err error
}

func newCBORDec(r io.Reader, _ *rows.Schema) (rowDecoder, error) {
	return &cborDec{d: cbor.NewDecoder(r)}, nil
}

func (c *cborDec) Err() error { return c.err }

func (c *cborDec) Next(row *rows.Row) bool {
	rec := &c.rec
	rec.Note = nil
	if err := c.d.Decode(rec); err != nil {
		if !errors.Is(err, io.EOF) {
			c.err = err
		}
		return false
	}
	row.Reset(10)
	v := row.Values
	v[0] = rows.Int(rec.ID)
	v[1] = rows.String(rec.Name)
	v[2] = rows.String(rec.City)
	v[3] = rows.Float(rec.Score)
	v[4] = rows.Decimal(rec.Unscaled, rec.Scale)
	v[5] = rows.Bool(rec.Active)
	v[6] = rows.Date(rec.Day)
	v[7] = rows.Timestamp(rec.TS)
	if rec.Note != nil {
		v[8] = rows.String(*rec.Note)
	}
	v[9] = rows.Bytes(rec.Tag)
	return true
}

// --- Ion --------------------------------------------------------------------------

type ionEnc struct {
	w     ion.Writer
	names []ion.SymbolToken
}

func (e *ionEnc) Finish() error { return e.w.Finish() }

func newIonBinaryEnc(w io.Writer, s *rows.Schema) (rowEncoder, error) {
	// NewBinaryWriter would hold the whole stream until Finish; with a
	// prebuilt local symbol table (the field names) the writer streams.
	names := s.Names()
	lst := ion.NewLocalSymbolTable(nil, names)
	toks, err := ion.NewSymbolTokens(lst, names)
	if err != nil {
		return nil, err
	}
	return &ionEnc{w: ion.NewBinaryWriterLST(w, lst), names: toks}, nil
}

func newIonTextEnc(w io.Writer, s *rows.Schema) (rowEncoder, error) {
	var toks []ion.SymbolToken
	for _, n := range s.Names() {
		toks = append(toks, ion.NewSymbolTokenFromString(n))
	}
	return &ionEnc{w: ion.NewTextWriter(w), names: toks}, nil
}

func (e *ionEnc) Write(r *rows.Row) error {
	w := e.w
	if err := w.BeginStruct(); err != nil {
		return err
	}
	for i, v := range r.Values {
		if err := w.FieldName(e.names[i]); err != nil {
			return err
		}
		var err error
		switch v.Kind() {
		case rows.KindNull:
			err = w.WriteNull()
		case rows.KindBool:
			err = w.WriteBool(v.AsBool())
		case rows.KindInt:
			err = w.WriteInt(v.AsInt())
		case rows.KindFloat:
			err = w.WriteFloat(v.AsFloat())
		case rows.KindDecimal:
			err = w.WriteDecimal(ion.NewDecimal(v.Unscaled(), -v.Scale(), false))
		case rows.KindString:
			err = w.WriteString(v.AsString())
		case rows.KindBytes:
			err = w.WriteBlob(v.AsBytes())
		case rows.KindDate:
			err = w.WriteTimestamp(ion.NewDateTimestamp(v.Time(), ion.TimestampPrecisionDay))
		case rows.KindTimestamp:
			// Exactly 6 fractional digits only with this constructor.
			err = w.WriteTimestamp(ion.NewTimestampWithFractionalSeconds(v.Time(),
				ion.TimestampPrecisionNanosecond, ion.TimezoneUnspecified, 6))
		default:
			return fmt.Errorf("ion bench: kind %s not supported", v.Kind())
		}
		if err != nil {
			return err
		}
	}
	return w.EndStruct()
}

type ionDec struct {
	r     ion.Reader
	index map[string]int
	n     int
	err   error
}

func newIonDec(r io.Reader, s *rows.Schema) (rowDecoder, error) {
	d := &ionDec{r: ion.NewReader(r), index: map[string]int{}, n: len(s.Fields)}
	for i, f := range s.Fields {
		d.index[f.Name] = i
	}
	return d, nil
}

func (d *ionDec) Err() error { return d.err }

func (d *ionDec) Next(row *rows.Row) bool {
	r := d.r
	if !r.Next() {
		d.err = r.Err()
		return false
	}
	if r.Type() != ion.StructType {
		d.err = fmt.Errorf("top-level %v, want struct", r.Type())
		return false
	}
	if d.err = r.StepIn(); d.err != nil {
		return false
	}
	row.Reset(d.n)
	for r.Next() {
		name, err := r.FieldName()
		if err != nil || name == nil || name.Text == nil {
			d.err = fmt.Errorf("field name: %v", err)
			return false
		}
		i, ok := d.index[*name.Text]
		if !ok {
			d.err = fmt.Errorf("unknown field %q", *name.Text)
			return false
		}
		if row.Values[i], d.err = ionrows.ReadValue(r); d.err != nil {
			return false
		}
	}
	if d.err = r.Err(); d.err != nil {
		return false
	}
	d.err = r.StepOut()
	return d.err == nil
}
