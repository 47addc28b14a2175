package dist

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLocalCollectives(t *testing.T) {
	const n = 3
	err := RunLocal(n, func(c Communicator) error {
		r := float64(c.Rank())
		// 0.1+0.2+0.3 in rank order; every rank gets these bits.
		x := []float64{0.1 * (r + 1), r}
		if err := c.AllReduceSum(x); err != nil {
			return err
		}
		if want := []float64{(0.1 + 0.2) + 0.30000000000000004, 3}; !slices.Equal(x, want) {
			return fmt.Errorf("rank %d: AllReduceSum = %v, want %v", c.Rank(), x, want)
		}
		f := []float32{float32(r), 1}
		q, err := c.IAllReduceSum(f)
		if err != nil {
			return err
		}
		if err := q.Wait(); err != nil {
			return err
		}
		if want := []float32{3, 3}; !slices.Equal(f, want) {
			return fmt.Errorf("rank %d: IAllReduceSum = %v, want %v", c.Rank(), f, want)
		}
		b := []byte{byte(c.Rank()), 9}
		if err := c.Broadcast(b, 2); err != nil {
			return err
		}
		if want := []byte{2, 9}; !slices.Equal(b, want) {
			return fmt.Errorf("rank %d: Broadcast = %v, want %v", c.Rank(), b, want)
		}
		all := make([]int64, 2*n)
		if err := c.AllGather([]int64{int64(c.Rank()), 7}, all); err != nil {
			return err
		}
		if want := []int64{0, 7, 1, 7, 2, 7}; !slices.Equal(all, want) {
			return fmt.Errorf("rank %d: AllGather = %v, want %v", c.Rank(), all, want)
		}
		return c.Barrier()
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestLocalMismatchAndBadBuffers(t *testing.T) {
	err := RunLocal(2, func(c Communicator) error {
		return c.AllReduceSum(make([]float64, 2+c.Rank()))
	})
	if err == nil || !strings.Contains(err.Error(), "collectives differ") {
		t.Errorf("lengths 2 and 3: err = %v, want collectives differ", err)
	}
	comms, _ := NewLocal(2)
	if err := comms[0].AllReduceSum([]int{1}); err == nil {
		t.Error("AllReduceSum([]int) succeeded, want an error")
	}
	if err := comms[0].Broadcast([]byte{1}, 2); err == nil {
		t.Error("Broadcast root 2 of 2 succeeded, want an error")
	}
	if err := comms[0].AllGather([]byte{1}, make([]byte, 3)); err == nil {
		t.Error("AllGather into 3 of 2*1 succeeded, want an error")
	}
	if _, err := NewLocal(0); err == nil {
		t.Error("NewLocal(0) succeeded, want an error")
	}
}

// TestLocalAbortReleasesWaiters: a rank that fails while the others wait in a
// collective makes them return its error at once.
func TestLocalAbortReleasesWaiters(t *testing.T) {
	boom := errors.New("disk on fire")
	start := time.Now()
	err := RunLocal(3, func(c Communicator) error {
		if c.Rank() == 1 {
			time.Sleep(20 * time.Millisecond)
			return boom
		}
		err := c.AllReduceSum([]float64{1})
		var ae *AbortError
		if !errors.As(err, &ae) || ae.Rank != 1 || !errors.Is(err, boom) {
			return fmt.Errorf("rank %d: err = %v, want rank 1's abort", c.Rank(), err)
		}
		return nil
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "rank 1") {
		t.Errorf("RunLocal = %v, want rank 1's error", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("abort took %v", d)
	}
}
