// ecref: an independent reference for ec-rebuild's tests and benchmarks,
// built on klauspost/reedsolomon (the library SeaweedFS uses) from
// Debian's golang-github-klauspost-reedsolomon-dev. Never part of blockbox.
//
//	ecref encode K M LARGE SMALL FILE.dat OUTBASE   SeaweedFS striping + Encode
//	ecref reconstruct K M BASE                      fill in missing BASE.ecNN
//	ecref bench K M SHARDSIZE SECONDS [ROUNDS]      single-thread bytes/s
package main

import (
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"time"

	"github.com/klauspost/reedsolomon"
)

func num(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		fail(err)
	}
	return n
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "ecref:", err)
	os.Exit(1)
}

func shardName(base string, i int) string { return fmt.Sprintf("%s.ec%02d", base, i) }

// encode lays FILE out as SeaweedFS's encoder does: rows of k large blocks
// while k large blocks remain, then rows of k small blocks, zero padded.
func encode(k, m, large, small int, dat, base string) {
	data, err := os.ReadFile(dat)
	if err != nil {
		fail(err)
	}
	enc, err := reedsolomon.New(k, m)
	if err != nil {
		fail(err)
	}
	files := make([]*os.File, k+m)
	for i := range files {
		if files[i], err = os.Create(shardName(base, i)); err != nil {
			fail(err)
		}
	}
	row := func(start, block int) {
		shards := make([][]byte, k+m)
		for i := range shards {
			shards[i] = make([]byte, block)
			if i < k {
				lo := start + i*block
				if lo < len(data) {
					hi := lo + block
					if hi > len(data) {
						hi = len(data)
					}
					copy(shards[i], data[lo:hi])
				}
			}
		}
		if err := enc.Encode(shards); err != nil {
			fail(err)
		}
		for i, f := range files {
			if _, err := f.Write(shards[i]); err != nil {
				fail(err)
			}
		}
	}
	pos := 0
	for len(data)-pos >= k*large {
		row(pos, large)
		pos += k * large
	}
	for pos < len(data) {
		row(pos, small)
		pos += k * small
	}
	for _, f := range files {
		if err := f.Close(); err != nil {
			fail(err)
		}
	}
}

func reconstruct(k, m int, base string) {
	enc, err := reedsolomon.New(k, m)
	if err != nil {
		fail(err)
	}
	shards := make([][]byte, k+m)
	for i := range shards {
		b, err := os.ReadFile(shardName(base, i))
		if err == nil {
			shards[i] = b
		} else if !os.IsNotExist(err) {
			fail(err)
		}
	}
	if err := enc.Reconstruct(shards); err != nil {
		fail(err)
	}
	for i := range shards {
		name := shardName(base, i)
		if _, err := os.Stat(name); os.IsNotExist(err) {
			if err := os.WriteFile(name, shards[i], 0644); err != nil {
				fail(err)
			}
		}
	}
}

// rate runs f for about secs in rounds and returns the best round's data
// bytes per second (the machine may be shared). make bench asks for one
// round at a time and takes turns with blockbox between them.
func rate(secs float64, rounds int, bytes int, f func()) float64 {
	f() // warm up
	best := 0.0
	for round := 0; round < rounds; round++ {
		n, t0 := 0, time.Now()
		for n < 2 || time.Since(t0).Seconds() < secs/float64(rounds) {
			f()
			n++
		}
		if r := float64(n*bytes) / time.Since(t0).Seconds(); r > best {
			best = r
		}
	}
	return best
}

func bench(k, m, size int, secs float64, rounds int) {
	enc, err := reedsolomon.New(k, m, reedsolomon.WithMaxGoroutines(1))
	if err != nil {
		fail(err)
	}
	shards := make([][]byte, k+m)
	r := rand.New(rand.NewSource(1))
	for i := range shards {
		shards[i] = make([]byte, size)
		r.Read(shards[i])
	}
	encode := rate(secs, rounds, k*size, func() {
		if err := enc.Encode(shards); err != nil {
			fail(err)
		}
	})
	keep := shards[:m]
	saved := make([][]byte, m)
	copy(saved, keep)
	rebuild := rate(secs, rounds, k*size, func() {
		for i := 0; i < m; i++ {
			shards[i] = saved[i][:0] // lost, buffer reusable
		}
		if err := enc.ReconstructData(shards); err != nil {
			fail(err)
		}
	})
	fmt.Printf("%.0f %.0f\n", encode, rebuild)
}

func main() {
	a := os.Args
	switch {
	case len(a) == 8 && a[1] == "encode":
		encode(num(a[2]), num(a[3]), num(a[4]), num(a[5]), a[6], a[7])
	case len(a) == 5 && a[1] == "reconstruct":
		reconstruct(num(a[2]), num(a[3]), a[4])
	case (len(a) == 6 || len(a) == 7) && a[1] == "bench":
		secs, err := strconv.ParseFloat(a[5], 64)
		if err != nil {
			fail(err)
		}
		rounds := 5
		if len(a) == 7 {
			rounds = num(a[6])
		}
		bench(num(a[2]), num(a[3]), num(a[4]), secs, rounds)
	default:
		fmt.Fprintln(os.Stderr, "usage: ecref encode K M LARGE SMALL FILE.dat OUTBASE | reconstruct K M BASE | bench K M SHARDSIZE SECONDS [ROUNDS]")
		os.Exit(2)
	}
}
