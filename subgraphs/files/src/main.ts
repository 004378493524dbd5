import { runServiceMain } from '@chat4all/common';
import { filesService } from './server';

runServiceMain(filesService());
