// The process's temporary files: one private directory, fresh names in it, each removed on request, and
// the directory with whatever is left when the app closes.
import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import t from 'tap'
import { TempFiles } from '../../src/domain/formats/temp-files.js'

t.test('a private, empty directory named attendance-… under the parent', async (t) => {
  const parent = t.testdir()
  const files = new TempFiles(parent)
  t.equal(dirname(files.directory), parent)
  t.match(basename(files.directory), /^attendance-.+/)
  t.same(readdirSync(files.directory), [])
  const other = new TempFiles(parent)
  t.not(other.directory, files.directory, 'each instance its own directory')
  t.equal(files.count, 0)
})

t.test('the default parent is the OS temp directory', async (t) => {
  const files = new TempFiles()
  t.teardown(() => files.removeAll())
  t.equal(dirname(files.directory), tmpdir())
})

t.test('create: a fresh path with the extension, counted, nothing written yet', async (t) => {
  const files = new TempFiles(t.testdir())
  const first = files.create('csv')
  const second = files.create('xlsx')
  t.equal(dirname(first), files.directory)
  t.match(basename(first), /^[0-9a-f-]{36}\.csv$/)
  t.match(basename(second), /\.xlsx$/)
  t.not(first, second)
  t.equal(files.count, 2)
  t.notOk(existsSync(first), 'the caller creates the file')
})

t.test('remove: the file goes and is no longer counted; a path never written is fine', async (t) => {
  const files = new TempFiles(t.testdir())
  const written = files.create('csv')
  const unwritten = files.create('csv')
  writeFileSync(written, 'source\r\n')
  t.same(readdirSync(files.directory), [basename(written)])
  await files.remove(written)
  t.notOk(existsSync(written))
  t.equal(files.count, 1)
  await files.remove(unwritten)
  t.equal(files.count, 0)
  await files.remove(unwritten)
  t.equal(files.count, 0, 'removing twice changes nothing')
  t.same(readdirSync(files.directory), [])
})

t.test('removeAll: the directory and every file in it, written or not', async (t) => {
  const files = new TempFiles(t.testdir())
  writeFileSync(files.create('csv'), 'a')
  writeFileSync(files.create('xlsx'), 'b')
  files.create('ndjson')
  writeFileSync(join(files.directory, 'stray'), 'c')
  files.removeAll()
  t.notOk(existsSync(files.directory))
  t.equal(files.count, 0)
  t.doesNotThrow(() => files.removeAll(), 'twice is fine (close after a failed start)')
})
